#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/json.h"
#include "../../core/sandbox/state.h"
#include "../../core/util.h"
#include "tap.h"

int main(void)
{
    char dir[] = "/tmp/kb-state.XXXXXX", path[64], created[64], *text = NULL;
    char *ann[] = { "org.example/a", "x \"quoted\"", NULL };
    struct kb_state st = { .oci_version = "1.0.2", .id = "c1", .status = "running",
                           .bundle = "/b", .rootfs = "/b/rootfs", .owner = "",
                           .annotations = ann }, back;
    kb_err err;
    pid_t child;

    kb_rfc3339_now(created, sizeof created);
    ok(strlen(created) >= 20 && strlen(created) <= 30 && created[strlen(created) - 1] == 'Z' &&
           (created[19] == '.' || created[19] == 'Z') && created[strlen(created) - 2] != '0',
       "created is Go's RFC3339Nano (no trailing zeros): %s", created);
    st.created = created;
    st.pid = getpid();
    st.pid_start = kb_pid_start_time(getpid());
    ok(st.pid_start > 0, "our own start time is known");
    mkdtemp(dir);
    ok(kb_state_write(dir, &st, &err) == 0, "state.json written");
    ok(kb_state_read(dir, &back, &err) == 0 && strcmp(back.status, "running") == 0 &&
           back.pid == getpid() && strcmp(back.annotations[1], "x \"quoted\"") == 0,
       "read back: live keeper, annotations intact");
    ok(kb_state_format(&back, &text, &err) == 0 && strstr(text, "\"status\": \"running\"") &&
           strstr(text, "\"annotations\": {") && !strstr(text, "katabox_keeper"),
       "state output is runc's shape, without our private fields");
    free(text);
    kb_state_free(&back);

    /* a keeper that died (here: a reaped child) reads as stopped, pid 0 */
    child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    st.pid = child;
    st.pid_start = 12345;
    kb_state_write(dir, &st, &err);
    ok(kb_state_read(dir, &back, &err) == 0 && strcmp(back.status, "stopped") == 0, "a dead keeper means stopped");
    ok(kb_state_format(&back, &text, &err) == 0 && strstr(text, "\"pid\": 0,"), "a stopped container shows pid 0");
    free(text);
    kb_state_free(&back);
    /* a pid reused by another process: start time differs */
    st.pid = getpid();
    st.pid_start = 1;
    kb_state_write(dir, &st, &err);
    ok(kb_state_read(dir, &back, &err) == 0 && strcmp(back.status, "stopped") == 0, "a reused pid means stopped");
    kb_state_free(&back);

    /* a keeper pid that kill() would take for "every process" never comes out */
    kb_state_write(dir, &st, &err);
    snprintf(path, sizeof path, "%s/state.json", dir);
    {
        char *json = NULL, *at;
        size_t n;
        char pid_text[32];
        kb_read_file(path, 1 << 20, &json, &n, &err);
        snprintf(pid_text, sizeof pid_text, "\"pid\": %d,", (int)getpid());
        at = json ? strstr(strstr(json, "katabox_keeper"), pid_text) : NULL;
        if (at) {
            FILE *w = fopen(path, "w");
            fprintf(w, "%.*s\"pid\": 4294967295,%s", (int)(at - json), json, at + strlen(pid_text));
            fclose(w);
        }
        ok(at && kb_state_read(dir, &back, &err) < 0 && strstr(err.msg, "4294967295 is not a process id"),
           "a keeper pid of 2^32-1 (-1 as a pid_t) is refused: %s", err.msg);
        free(json);
    }
    FILE *f = fopen(path, "w");
    fputs("{\"id\": 5}", f);
    fclose(f);
    ok(kb_state_read(dir, &back, &err) < 0 && strstr(err.msg, "state.json"), "a corrupt state.json is named: %s",
       err.msg);
    unlink(path);
    rmdir(dir);
    return tap_done();
}
