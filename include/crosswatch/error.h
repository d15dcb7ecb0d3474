/* crosswatch — error codes.
 *
 * Every action returns 0 or one of the negative CW_E* codes below; predicates return bool and
 * constructors a pointer or NULL. The function that finds an error logs it once, with what the
 * user must fix; callers above only pass the code on.
 */
#ifndef CROSSWATCH_ERROR_H
#define CROSSWATCH_ERROR_H

enum cw_error {
    CW_OK = 0,
    CW_EINVAL = -1,       /* invalid argument, option or configuration value */
    CW_ENOMEM = -2,       /* out of memory */
    CW_EIO = -3,          /* read or write failed */
    CW_ENOENT = -4,       /* file or resource not found */
    CW_EFORMAT = -5,      /* input is not in a format crosswatch can read */
    CW_EUNSUPPORTED = -6, /* valid input that crosswatch does not handle */
    CW_EAGAIN = -7,       /* nothing available now; try again */
    CW_EOF = -8,          /* end of stream */
    CW_ECONNECT = -9,     /* could not connect to, or lost, a network source */
    CW_ETIMEDOUT = -10,   /* an operation took longer than its limit */
    CW_ENOSPC = -11,      /* disk or buffer full */
    CW_ECANCELED = -12,   /* stopped on request */
    CW_EPERM = -13,       /* permission denied */
    CW_EBUSY = -14,       /* resource is locked or exhausted */
};

/* Short English description of a CW_E* code; never NULL. */
const char *cw_strerror(int err);

/* Maps a negative errno value (-ENOENT, …) to the nearest CW_E* code. */
int cw_error_from_errno(int neg_errno);

#endif
