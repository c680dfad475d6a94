/* A minimal TAP producer for the unit tests: ok(cond, "what"), then
 * `return tap_done();` from main. tests/run.sh counts the lines. */
#ifndef KB_TAP_H
#define KB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 4, 5))) static int tap_ok(int pass, const char *file, int line,
                                                        const char *fmt, ...)
{
    va_list ap;

    tap_n++;
    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!pass) {
        tap_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...)                                                      \
    do {                                                                            \
        const char *got_ = (got), *want_ = (want);                                  \
        if (!tap_ok(strcmp(got_, want_) == 0, __FILE__, __LINE__, __VA_ARGS__))     \
            printf("#   got '%s', want '%s'\n", got_, want_);                       \
    } while (0)

static inline void tap_skip(const char *why)
{
    printf("ok %d # SKIP %s\n", ++tap_n, why);
}

static inline int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
