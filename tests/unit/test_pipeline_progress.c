/* Unit tests for the progress line and the JSON event log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_progress.h"
#include "qr_test.h"

static void test_format(void)
{
    qr_progress p;
    FILE *devnull = fopen("/dev/null", "w");
    qr_progress_init(&p, devnull, true, 10);
    p.files_done = 5;
    p.pages_done = 100;
    p.faults = 2;
    char line[256];
    qr_progress_format(&p, p.t_start + 10.0, line, sizeof line);
    CHECKF(strstr(line, "5/10 files") != NULL, "%s", line);
    CHECKF(strstr(line, "10.0 pages/s") != NULL, "%s", line);
    CHECKF(strstr(line, "2 faults") != NULL, "%s", line);
    CHECKF(strstr(line, "ETA 00:10") != NULL, "%s", line);
    CHECKF(strstr(line, "[############............]") != NULL, "%s", line);
    fclose(devnull);
}

/* On a terminal of any width the bar fits in width - 1 columns, so it never
 * wraps and \r redraws it in place; the most needed fields stay longest. */
static void test_width(void)
{
    qr_progress p;
    FILE *devnull = fopen("/dev/null", "w");
    qr_progress_init(&p, devnull, true, 1200);
    p.files_done = 613;
    p.pages_done = 18345;
    p.faults = 1;
    char line[256], wide[256];
    qr_progress_format_width(&p, p.t_start + 100.0, 0, wide, sizeof wide);
    size_t full = strlen(wide);
    for (int w = 4; w <= 200; w++) {
        qr_progress_format_width(&p, p.t_start + 100.0, w, line, sizeof line);
        CHECKF(strlen(line) <= (size_t)w - 1, "width %d: %zu columns: %s", w, strlen(line),
               line);
        if (w >= 30)
            CHECKF(strstr(line, "613/1200 files") != NULL, "width %d: %s", w, line);
        if (w >= 50)
            CHECKF(strstr(line, "ETA") != NULL, "width %d: %s", w, line);
        if ((size_t)w > full + 1)
            CHECKF(strcmp(line, wide) == 0, "width %d: %s", w, line);
    }
    CHECK(strstr(wide, "1 fault ") != NULL); /* singular */
    fclose(devnull);
}

static void test_jsonlog(void)
{
    char dir[4096], path[4200];
    qr_test_tmpdir("progress", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/log.jsonl", dir);
    qr_jsonlog *l = qr_jsonlog_open(path);
    CHECK(l != NULL);
    qr_jsonlog_event(l, "file_archived", "file_id", "A\"1", "#pages", "12", NULL);
    qr_jsonlog_close(&l);
    CHECK(l == NULL);
    char cmd[4400];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); "
             "sys.exit(0 if d[\"file_id\"]==\"A\\\"1\" and d[\"pages\"]==12 else 1)' %s",
             path);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    test_format();
    test_width();
    test_jsonlog();
    return qr_test_end();
}
