/* runc's --log and --log-format: errors appended to a file as logrus
 * writes them (text: time="..." level=error msg="..."; json: one object
 * per line), so tools that parse runc's log parse ours. */
#ifndef KB_LOG_H
#define KB_LOG_H

#include "err.h"

enum kb_log_format { KB_LOG_TEXT, KB_LOG_JSON };

/* "text" or "json"; <0 otherwise. */
int kb_log_format_parse(const char *s, enum kb_log_format *f);
/* Append one entry at `level` ("error", "warning", "info") to path; path NULL: nothing. */
int kb_log_write(const char *path, enum kb_log_format f, const char *level, const char *msg,
                 kb_err *err);

#endif
