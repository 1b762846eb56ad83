// The GNU extensions of glibc that Swift's Glibc module does not import (it is built without
// _GNU_SOURCE), and calls Swift cannot make (variadic ioctl). Each is a plain forwarding call;
// see shims.c.
#ifndef C_BOTMASTER_SHIMS_H
#define C_BOTMASTER_SHIMS_H

#include <spawn.h>

/// posix_spawn_file_actions_addchdir_np: the child changes directory before exec.
int cbm_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np: the child closes every fd >= from before exec.
int cbm_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// POSIX_SPAWN_SETSID: the child starts a new session (daemonizing without fork in Swift).
short cbm_spawn_flag_setsid(void);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no spawned child inherits by accident.
int cbm_pipe_cloexec(int fds[2]);

/// prctl(PR_SET_PDEATHSIG, signal): the kernel signals this process when its parent dies.
int cbm_set_parent_death_signal(int signal);

/// ioctl(fd, TIOCGWINSZ): the terminal's size; 0 on success (Swift cannot call the variadic
/// ioctl).
int cbm_terminal_size(int fd, unsigned short *rows, unsigned short *columns);

#endif
