/*
 * `quire profile show` and the profile options every profile-using command
 * shares (--profile FILE, --set SECTION.KEY=VALUE). The layering is fixed and
 * the same everywhere: built-in defaults, then the INI file, then each --set
 * in the order given, so what `profile show` prints with the same options is
 * exactly what `ingest` runs with.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_cli.h"
#include "qr_stages.h"

/* "SECTION.KEY=VALUE" applied to *p. */
static int apply_set(const char *cmd, const char *arg, qr_profile *p)
{
    const char *dot = strchr(arg, '.'), *eq = strchr(arg, '=');
    if (!dot || !eq || dot > eq || dot == arg || eq == dot + 1)
        return qr_cli_usage_error(cmd, "--set %s: expected SECTION.KEY=VALUE", arg);
    char section[64], key[64];
    if ((size_t)(dot - arg) >= sizeof section || (size_t)(eq - dot - 1) >= sizeof key)
        return qr_cli_usage_error(cmd, "--set %s: unknown profile key", arg);
    snprintf(section, sizeof section, "%.*s", (int)(dot - arg), arg);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    qr_err err = {0};
    if (qr_profile_set(p, section, key, eq + 1, &err))
        return qr_cli_usage_error(cmd, "--set: %s", err.msg);
    return 0;
}

int qr_cli_profile(const char *cmd, const char *file, char *const *sets, int n_sets,
                   qr_profile *p)
{
    qr_profile_default(p);
    qr_err err = {0};
    if (file && qr_profile_load(p, file, &err))
        return qr_cli_usage_error(cmd, "--profile: %s", err.msg);
    for (int i = 0; i < n_sets; i++) {
        int rc = apply_set(cmd, sets[i], p);
        if (rc)
            return rc;
    }
    return 0;
}

int qr_cmd_profile(int argc, char **argv)
{
    static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
                                         {"set", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *file = NULL;
    char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int n_sets = 0, c, rc = 0;
    if (!sets)
        return QR_EXIT_FATAL;
    optind = 1;
    while (!rc && (c = qr_cli_getopt(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'p')
            file = optarg;
        else if (c == 's')
            sets[n_sets++] = optarg;
        else
            rc = QR_EXIT_USAGE;
    }
    if (!rc && (optind + 1 != argc || strcmp(argv[optind], "show")))
        rc = qr_cli_usage_error("profile", "say what to do: show");
    qr_profile p;
    if (!rc)
        rc = qr_cli_profile("profile", file, sets, n_sets, &p);
    free(sets);
    if (rc)
        return rc;
    qr_profile_print(&p, stdout);
    return fflush(stdout) ? QR_EXIT_FATAL : QR_EXIT_OK;
}
