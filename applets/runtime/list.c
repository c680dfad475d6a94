/* kata-runtime list: the containers under --root, as runc lists them (a
 * tab-aligned table, -q for ids, --format json). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yajl/yajl_gen.h>

#include "../../core/sandbox/sandbox.h"
#include "../../core/sandbox/state.h"
#include "../../core/util.h"
#include "runtime.h"

#define MAX_LISTED 4096

struct row {
    struct kb_state st;
    char pid[16], owner[64];
};

static void owner_of(const char *dir, char *buf, size_t len)
{
    struct stat sb;
    struct passwd *pw;

    if (stat(dir, &sb) < 0) {
        snprintf(buf, len, "?");
        return;
    }
    pw = getpwuid(sb.st_uid);
    if (pw)
        snprintf(buf, len, "%s", pw->pw_name);
    else
        snprintf(buf, len, "#%u", (unsigned)sb.st_uid);
}

/* runc's text/tabwriter settings: min width 12, padding 3 */
static void print_table(struct row *rows, size_t n)
{
    const char *head[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
    size_t w[6];

    for (int c = 0; c < 6; c++)
        w[c] = strlen(head[c]);
    for (size_t i = 0; i < n; i++) {
        const char *cell[6] = { rows[i].st.id, rows[i].pid, rows[i].st.status, rows[i].st.bundle,
                                rows[i].st.created, rows[i].owner };
        for (int c = 0; c < 6; c++)
            if (strlen(cell[c]) > w[c])
                w[c] = strlen(cell[c]);
    }
    for (int c = 0; c < 5; c++)
        w[c] = w[c] + 3 > 12 ? w[c] + 3 : 12;
    printf("%-*s%-*s%-*s%-*s%-*s%s\n", (int)w[0], head[0], (int)w[1], head[1], (int)w[2], head[2],
           (int)w[3], head[3], (int)w[4], head[4], head[5]);
    for (size_t i = 0; i < n; i++)
        printf("%-*s%-*s%-*s%-*s%-*s%s\n", (int)w[0], rows[i].st.id, (int)w[1], rows[i].pid,
               (int)w[2], rows[i].st.status, (int)w[3], rows[i].st.bundle, (int)w[4],
               rows[i].st.created, rows[i].owner);
}

static void print_json(struct row *rows, size_t n)
{
    yajl_gen g;
    const unsigned char *buf;
    size_t len;

    if (!n) {
        puts("null"); /* runc marshals an empty list as a nil slice */
        return;
    }
    g = yajl_gen_alloc(NULL);
    if (!g)
        return;
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++)
        kb_state_gen(g, &rows[i].st);
    yajl_gen_array_close(g);
    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
        printf("%.*s\n", (int)len, (const char *)buf);
    yajl_gen_free(g);
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->st.id, ((const struct row *)b)->st.id);
}

int runtime_list(const struct rt_globals *g, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "quiet", no_argument, 0, 'q' }, { "format", required_argument, 0, 'f' }, { 0, 0, 0, 0 },
    };
    int quiet = 0, json = 0, c;
    struct row *rows;
    size_t n = 0;
    struct dirent *de;
    DIR *d;
    kb_err err;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qf:", longopts, NULL)) != -1) {
        if (c == 'q') {
            quiet = 1;
        } else if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0)) {
            json = strcmp(optarg, "json") == 0;
        } else {
            kb_error(&err, EINVAL, c == 'f' ? "invalid format option" : "unknown option '%s'",
                     argv[optind - 1]);
            return rt_fail(g, "list", &err);
        }
    }
    rows = calloc(MAX_LISTED, sizeof *rows);
    if (!rows) {
        kb_error(&err, ENOMEM, "list");
        return rt_fail(g, "list", &err);
    }
    d = opendir(g->root);
    while (d && (de = readdir(d)) && n < MAX_LISTED) {
        char dir[PATH_MAX];
        if (de->d_name[0] == '.' || kb_container_id_check(de->d_name, &err) < 0)
            continue;
        snprintf(dir, sizeof dir, "%s/%s", g->root, de->d_name);
        /* a container being created or deleted right now has no state yet: skip it */
        if (kb_state_read(dir, &rows[n].st, &err) < 0)
            continue;
        snprintf(rows[n].pid, sizeof rows[n].pid, "%d",
                 strcmp(rows[n].st.status, "stopped") == 0 ? 0 : (int)rows[n].st.pid);
        owner_of(dir, rows[n].owner, sizeof rows[n].owner);
        /* list shows who owns the state dir (runc does); state shows "" */
        free(rows[n].st.owner);
        rows[n].st.owner = strdup(rows[n].owner);
        if (!rows[n].st.owner) {
            kb_state_free(&rows[n].st);
            continue;
        }
        n++;
    }
    if (d)
        closedir(d);
    qsort(rows, n, sizeof *rows, by_id);
    if (quiet)
        for (size_t i = 0; i < n; i++)
            puts(rows[i].st.id);
    else if (json)
        print_json(rows, n);
    else
        print_table(rows, n);
    for (size_t i = 0; i < n; i++)
        kb_state_free(&rows[i].st);
    free(rows);
    return 0;
}
