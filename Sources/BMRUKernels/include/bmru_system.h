// System calls that Swift cannot call directly (variadic in C, or missing from older glibc headers).
#ifndef BMRU_SYSTEM_H
#define BMRU_SYSTEM_H

/// Asks the kernel to send `sig` to this process when the thread that created it ends (Linux
/// prctl(PR_SET_PDEATHSIG)). Returns 0, or -1 with errno set (ENOSYS where there is no such call).
int bmru_set_parent_death_signal(int sig);

/// Swaps two paths in one step (Linux renameat2(RENAME_EXCHANGE)); both must exist. Returns 0, or -1 with
/// errno set (EINVAL / ENOSYS where the file system or kernel cannot exchange).
int bmru_rename_exchange(const char *a, const char *b);

#endif
