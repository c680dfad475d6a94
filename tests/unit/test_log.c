#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/log.h"
#include "../../core/util.h"
#include "tap.h"

int main(void)
{
    char dir[] = "/tmp/kb-log.XXXXXX", path[64];
    enum kb_log_format f;
    char *text = NULL;
    kb_err err;

    ok(kb_log_format_parse("json", &f) == 0 && f == KB_LOG_JSON, "json parses");
    ok(kb_log_format_parse("text", &f) == 0 && f == KB_LOG_TEXT, "text parses");
    ok(kb_log_format_parse("xml", &f) < 0, "anything else is refused");
    ok(kb_log_write(NULL, KB_LOG_TEXT, "error", "x", &err) == 0, "no --log: nothing to do");
    mkdtemp(dir);
    snprintf(path, sizeof path, "%s/log", dir);
    ok(kb_log_write(path, KB_LOG_JSON, "error", "bad \"id\"\\\n\x01", &err) == 0, "json entry written");
    ok(kb_log_write(path, KB_LOG_TEXT, "error", "plain", &err) == 0, "text entry appended");
    ok(kb_read_file(path, 4096, &text, NULL, &err) == 0, "log read back");
    ok(text && strncmp(text, "{\"level\":\"error\",\"msg\":\"bad \\\"id\\\"\\\\\\n\\u0001\",\"time\":\"", 52) == 0,
       "json line escapes quotes, backslashes and control characters: %s", text);
    ok(text && strstr(text, "\ntime=\"") && strstr(text, "\" level=error msg=\"plain\"\n"),
       "text line is logrus's shape");
    snprintf(path, sizeof path, "%s/no/such/log", dir);
    ok(kb_log_write(path, KB_LOG_TEXT, "error", "x", &err) < 0 && strstr(err.msg, "--log"),
       "an unwritable log is named: %s", err.msg);
    free(text);
    snprintf(path, sizeof path, "%s/log", dir);
    unlink(path);
    rmdir(dir);
    return tap_done();
}
