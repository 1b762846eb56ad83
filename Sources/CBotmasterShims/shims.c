#define _GNU_SOURCE
#include <sys/ioctl.h>
#include "CBotmasterShims.h"
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

int cbm_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int cbm_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

short cbm_spawn_flag_setsid(void) {
    return POSIX_SPAWN_SETSID;
}

int cbm_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int cbm_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int cbm_terminal_size(int fd, unsigned short *rows, unsigned short *columns) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0) return -1;
    *rows = size.ws_row;
    *columns = size.ws_col;
    return 0;
}
