/* JSON input through yajl's tree API, with the checks yajl leaves to us
 * (nesting depth, NUL bytes) and typed getters whose errors name the path
 * ("process.args[2]: expected a string"). */
#ifndef KB_JSON_H
#define KB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "err.h"

/* deeper documents are refused before yajl sees them: its tree is freed recursively */
#define KB_JSON_MAX_DEPTH 64

/* Parse `len` bytes of JSON (no NUL inside); `what` names the document in errors. */
int kb_json_parse(const char *text, size_t len, const char *what, yajl_val *out, kb_err *err);
/* Member `key` of object `obj`, or NULL. */
yajl_val kb_json_member(yajl_val obj, const char *key);

/* Getters: `v` may be NULL (absent) when `required` is 0, leaving *out as is.
 * `path` names the value in errors. Strings are strdup'ed. */
int kb_json_string(yajl_val v, const char *path, int required, char **out, kb_err *err);
int kb_json_bool(yajl_val v, const char *path, int required, int *out, kb_err *err);
int kb_json_u32(yajl_val v, const char *path, int required, uint32_t *out, kb_err *err);
int kb_json_u64(yajl_val v, const char *path, int required, uint64_t *out, kb_err *err);
int kb_json_i64(yajl_val v, const char *path, int required, int64_t *out, kb_err *err);
/* An array of strings; *out is NULL-terminated, *n its length; at most `max`. */
int kb_json_strings(yajl_val v, const char *path, int required, size_t max, char ***out, size_t *n,
                    kb_err *err);
/* An optional array of at most `max` entries: *items gets zeroed room for
 * them plus one spare slot of `size` bytes, *n the count. Returns 1 when
 * present, 0 when absent (nothing allocated), <0 on error. */
int kb_json_array_alloc(yajl_val v, const char *path, size_t max, size_t size, void **items,
                        size_t *n, kb_err *err);
/* Free a NULL-terminated string array. */
void kb_strv_free(char **v);

#endif
