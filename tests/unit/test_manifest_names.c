/* Unit tests for archive names: plain ids keep their name, unsafe bytes are
 * escaped, versions can never collide with other ids, over-long ids are cut
 * with a digest, and the mapping is one-to-one over a hostile id set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_manifest.h"
#include "qr_test.h"

static const char *name_of(const char *id, int version)
{
    static char buf[512];
    if (qr_manifest_archive_name(id, version, buf, sizeof buf) < 0)
        return "(error)";
    return buf;
}

static void test_plain(void)
{
    CHECK(strcmp(name_of("PEN-1983-71522", 1), "PEN-1983-71522.pdf") == 0);
    CHECK(strcmp(name_of("PEN-1983-71522", 2), "PEN-1983-71522@v2.pdf") == 0);
    CHECK(strcmp(name_of("Akte Müller", 1), "Akte Müller.pdf") == 0);
}

/* The defect: file "A.v2" and version 2 of "A" had one archive name. */
static void test_versions_do_not_collide(void)
{
    char a2[256], av2[256];
    qr_manifest_archive_name("A", 2, a2, sizeof a2);
    qr_manifest_archive_name("A.v2", 1, av2, sizeof av2);
    CHECKF(strcmp(a2, av2) != 0, "A v2 = %s, A.v2 v1 = %s", a2, av2);
    CHECK(strcmp(name_of("A@v2", 1), "A%40v2.pdf") == 0);
    CHECK(strcmp(name_of("100%", 1), "100%25.pdf") == 0);
}

static void test_unsafe(void)
{
    CHECK(strcmp(name_of("a:b*c?d\"e<f>g|h", 1), "a%3Ab%2Ac%3Fd%22e%3Cf%3Eg%7Ch.pdf") == 0);
    CHECK(strcmp(name_of(".hidden", 1), "%2Ehidden.pdf") == 0);
    CHECK(strcmp(name_of("-rf", 1), "%2Drf.pdf") == 0);
    CHECK(strcmp(name_of("trailing.", 1), "trailing%2E.pdf") == 0);
    CHECK(strcmp(name_of("trailing ", 1), "trailing%20.pdf") == 0);
    CHECK(strcmp(name_of("CON", 1), "%43ON.pdf") == 0);
    CHECK(strcmp(name_of("nul.txt", 1), "%6Eul.txt.pdf") == 0);
    CHECK(strcmp(name_of("COM7", 1), "%43OM7.pdf") == 0);
    CHECK(strcmp(name_of("COMMON", 1), "COMMON.pdf") == 0);
    CHECK(strcmp(name_of("CASE.tmp-2024", 1), "CASE.tmp-2024.pdf") == 0);
}

static void test_long(void)
{
    char id[400];
    memset(id, 'x', 300);
    id[300] = '\0';
    const char *n = name_of(id, 1);
    CHECKF(strlen(n) <= 255, "length %zu", strlen(n));
    CHECK(strstr(n, "%~") != NULL);
    char v9[512];
    CHECK(qr_manifest_archive_name(id, 999999, v9, sizeof v9) > 0 && strlen(v9) <= 255);
    /* Two long ids with the same first 300 bytes differ by their digest. */
    char id2[400];
    memcpy(id2, id, 301);
    id2[299] = 'y';
    char a[512], b[512];
    qr_manifest_archive_name(id, 1, a, sizeof a);
    qr_manifest_archive_name(id2, 1, b, sizeof b);
    CHECK(strcmp(a, b) != 0);
    /* Multi-byte characters are never cut in half, escapes never split. */
    char u[700] = "";
    for (int i = 0; i < 150; i++)
        strcat(u, "ü");
    qr_manifest_archive_name(u, 1, a, sizeof a);
    size_t cut = (size_t)(strstr(a, "%~") - a);
    CHECK(cut % 2 == 0 && cut <= 180);
    char e[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(e, "@");
    qr_manifest_archive_name(e, 1, a, sizeof a);
    cut = (size_t)(strstr(a, "%~") - a);
    CHECK(cut % 3 == 0 && cut <= 180);
    CHECK(qr_manifest_archive_name("", 1, a, sizeof a) < 0);
    CHECK(qr_manifest_archive_name("x", 0, a, sizeof a) < 0);
    CHECK(qr_manifest_archive_name("x", 1, a, 5) < 0);
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every (id, version) pair of a hostile set maps to a distinct name. */
static void test_injective(void)
{
    static const char *ids[] = {
        "A", "A.v2", "A.v3", "A@v2", "A%40v2", "A%", "A%25", "a", "CON", "%43ON", "con",
        "A.pdf", "A.v2.pdf", "x.", "x%2E", "x", ".x", "%2Ex", "A@v2@v2", "A ", "A%20",
        "CASE.tmp-2024", "CASE.tmp-2024.pdf", "-", "%2D", "@", "%40", "%~", "~"};
    enum { N = sizeof ids / sizeof ids[0], V = 4 };
    char *names[N * V];
    for (int i = 0; i < N; i++)
        for (int v = 0; v < V; v++) {
            char buf[512];
            CHECK(qr_manifest_archive_name(ids[i], v + 1, buf, sizeof buf) > 0);
            names[i * V + v] = strdup(buf);
        }
    qsort(names, N * V, sizeof *names, cmp);
    int dups = 0;
    for (int i = 1; i < N * V; i++)
        if (strcmp(names[i - 1], names[i]) == 0) {
            dups++;
            printf("collision: %s\n", names[i]);
        }
    CHECK_EQ_INT(dups, 0);
    for (int i = 0; i < N * V; i++)
        free(names[i]);
}

int main(void)
{
    test_plain();
    test_versions_do_not_collide();
    test_unsafe();
    test_long();
    test_injective();
    return qr_test_end();
}
