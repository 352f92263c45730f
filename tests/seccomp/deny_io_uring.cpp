// authd_deny_io_uring PROGRAM [ARGS...]: runs PROGRAM with io_uring_setup, io_uring_enter and
// io_uring_register failing with EPERM, as Docker's default seccomp profile (since 25) does.
#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
        return 2;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);  // everything else is allowed
    if (!ctx) {
        std::fprintf(stderr, "seccomp_init failed\n");
        return 2;
    }
    const char* denied[] = {"io_uring_setup", "io_uring_enter", "io_uring_register"};
    for (const char* name : denied) {
        int nr = seccomp_syscall_resolve_name(name);
        int rc =
            nr == __NR_SCMP_ERROR ? -EINVAL : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        if (rc < 0) {
            std::fprintf(stderr, "seccomp rule for %s: %s\n", name, std::strerror(-rc));
            return 2;
        }
    }
    int rc = seccomp_load(ctx);  // sets no_new_privs itself (we are not privileged-only)
    seccomp_release(ctx);
    if (rc < 0) {
        std::fprintf(stderr, "seccomp_load: %s\n", std::strerror(-rc));
        return 2;
    }
    execv(argv[1], argv + 1);
    std::fprintf(stderr, "exec %s: %s\n", argv[1], std::strerror(errno));
    return 127;
}
