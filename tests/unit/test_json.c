#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/json.h"
#include "tap.h"

static yajl_val parse(const char *s, kb_err *err)
{
    yajl_val v = NULL;
    if (kb_json_parse(s, strlen(s), "doc", &v, err) < 0)
        return NULL;
    return v;
}

int main(void)
{
    kb_err err;
    yajl_val v;
    char *s = NULL, **list = NULL;
    size_t n = 0;
    uint32_t u32 = 7;
    uint64_t u64 = 0;
    int64_t i64 = 0;
    int b = 5;
    char deep[300];

    v = parse("{\"s\":\"x\",\"n\":42,\"big\":18446744073709551615,\"neg\":-3,\"f\":1.5,"
              "\"t\":true,\"l\":[\"a\",\"b\"],\"bad\":[\"a\",1],\"nul\":null}", &err);
    ok(v != NULL, "parse an object");
    ok(kb_json_string(kb_json_member(v, "s"), "s", 1, &s, &err) == 0 && strcmp(s, "x") == 0, "string");
    ok(kb_json_string(kb_json_member(v, "n"), "n", 1, &s, &err) < 0 && strstr(err.msg, "n: expected a string"),
       "a number is not a string, and the error names the path");
    ok(kb_json_string(kb_json_member(v, "missing"), "a.missing", 1, &s, &err) < 0 &&
           strstr(err.msg, "a.missing: required but missing"), "required and missing");
    ok(kb_json_string(kb_json_member(v, "missing"), "m", 0, &s, &err) == 0 && strcmp(s, "x") == 0,
       "optional and missing leaves the value");
    ok(kb_json_string(kb_json_member(v, "nul"), "nul", 0, &s, &err) == 0, "null counts as absent");
    free(s);
    ok(kb_json_u32(kb_json_member(v, "n"), "n", 1, &u32, &err) == 0 && u32 == 42, "u32");
    ok(kb_json_u32(kb_json_member(v, "big"), "big", 1, &u32, &err) < 0 && strstr(err.msg, "out of range"),
       "u32 overflow refused");
    ok(kb_json_u64(kb_json_member(v, "big"), "big", 1, &u64, &err) == 0 && u64 == UINT64_MAX, "u64 max exact");
    ok(kb_json_u64(kb_json_member(v, "neg"), "neg", 1, &u64, &err) < 0 && strstr(err.msg, "negative"),
       "negative refused for unsigned");
    ok(kb_json_i64(kb_json_member(v, "neg"), "neg", 1, &i64, &err) == 0 && i64 == -3, "i64");
    ok(kb_json_i64(kb_json_member(v, "f"), "f", 1, &i64, &err) < 0 && strstr(err.msg, "integer"),
       "a fraction is not an integer");
    ok(kb_json_bool(kb_json_member(v, "t"), "t", 1, &b, &err) == 0 && b == 1, "bool");
    ok(kb_json_bool(kb_json_member(v, "n"), "n", 1, &b, &err) < 0, "a number is not a bool");
    ok(kb_json_strings(kb_json_member(v, "l"), "l", 1, 10, &list, &n, &err) == 0 && n == 2 &&
           strcmp(list[1], "b") == 0 && list[2] == NULL, "string array, NULL-terminated");
    ok(kb_json_strings(kb_json_member(v, "l"), "l", 1, 1, &list, &n, &err) < 0 && err.errnum == E2BIG,
       "string array over its cap refused");
    ok(kb_json_strings(kb_json_member(v, "bad"), "bad", 1, 10, &list, &n, &err) < 0 &&
           strstr(err.msg, "bad[1]: expected a string"), "element error names its index");
    kb_strv_free(list);
    {
        void *items = (void *)1;
        ok(kb_json_array_alloc(kb_json_member(v, "l"), "l", 5, 8, &items, &n, &err) == 1 && n == 2 &&
               ((uint64_t *)items)[2] == 0, "array_alloc: room for the entries and a zeroed spare");
        free(items);
        ok(kb_json_array_alloc(kb_json_member(v, "nope"), "nope", 5, 8, &items, &n, &err) == 0 &&
               !items && n == 0, "array_alloc: absent is 0, nothing allocated");
        ok(kb_json_array_alloc(kb_json_member(v, "s"), "s", 5, 8, &items, &n, &err) < 0 &&
               strstr(err.msg, "s: expected an array"), "array_alloc: not an array");
        ok(kb_json_array_alloc(kb_json_member(v, "l"), "l", 1, 8, &items, &n, &err) < 0 &&
               strstr(err.msg, "l: 2 entries, at most 1"), "array_alloc: over the cap");
    }
    yajl_tree_free(v);

    ok(parse("{\"a\":", &err) == NULL && strstr(err.msg, "doc: invalid JSON"), "truncated JSON");
    ok(!strchr(err.msg, '\n'), "the error is one line");
    ok(kb_json_parse("{}\0{}", 5, "doc", &v, &err) < 0 && strstr(err.msg, "NUL byte at offset 2"),
       "a NUL byte is refused");
    ok(parse("{\"p\":\"/etc/shadow\\u0000.txt\"}", &err) == NULL && strstr(err.msg, "u0000"),
       "a \\u0000 escape is refused");
    ok((v = parse("{\"p\":\"a\\\\u0000\"}", &err)) != NULL, "an escaped backslash before u0000 is text");
    yajl_tree_free(v);
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    ok(parse(deep, &err) == NULL && strstr(err.msg, "nested deeper than 64"), "65 levels refused");
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = '\0';
    ok((v = parse(deep, &err)) != NULL, "64 levels parse");
    yajl_tree_free(v);
    ok((v = parse("[\"[[[[\", \"{{{{\"]", &err)) != NULL, "brackets inside strings do not count");
    yajl_tree_free(v);
    return tap_done();
}
