// Small POSIX file helpers for the embedded store: directory creation, whole-buffer
// positional reads and writes that retry on EINTR and short transfers.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <string>

namespace authd::store {

// mkdir -p with `mode` for every directory it creates. False with `error` filled on failure.
bool make_dirs(const std::string& path, mode_t mode, std::string& error);

// Writes all n bytes at `offset`. Returns 0 or the errno of the failure.
int write_all_at(int fd, const void* data, size_t n, off_t offset);

// Reads up to n bytes at `offset`, stopping early only at end of file. Returns the byte
// count, or -errno.
ssize_t read_full_at(int fd, void* data, size_t n, off_t offset);

// "<what> <path>: <strerror(err)>".
std::string sys_error(const std::string& what, const std::string& path, int err);

}  // namespace authd::store
