/*
 * Who runs a command that names no one (no --by): one rule for every record
 * of "who" in the ledger, so that an ingest, an accept, a rescan request and
 * a plan change made by the same person carry the same name.
 *
 * The login name (getlogin_r: the session's user), else the name of the real
 * uid (getpwuid_r), else "uid N". Not $USER or $LOGNAME: the environment is
 * not who runs the process (cron, service managers and `env -u` leave it
 * unset, and anyone can set it), and a record that says "unknown" is no
 * record. The name is computed on every call (no cache to go stale) into a
 * buffer of the calling thread, so any thread may ask.
 */
#include "qr_util.h"

#include <pwd.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

/* The name of the real uid, into out; false when it has none. */
static bool uid_name(uid_t uid, char *out, size_t cap)
{
    struct passwd pw, *found = NULL;
    char buf[16384];
    return getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name &&
           found->pw_name[0] && qr_copy_str(out, cap, found->pw_name);
}

const char *qr_actor_default(void)
{
    static _Thread_local char name[QR_ACTOR_MAX];
    if (getlogin_r(name, sizeof name) == 0 && name[0])
        return name;
    uid_t uid = getuid();
    if (!uid_name(uid, name, sizeof name))
        snprintf(name, sizeof name, "uid %lu", (unsigned long)uid);
    return name;
}
