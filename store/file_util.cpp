// POSIX helpers shared by the journal and the secret-key file.
#include "store/file_util.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace authd::store {

bool make_dirs(const std::string& path, mode_t mode, std::string& error) {
    if (path.empty()) {
        error = "empty directory path";
        return false;
    }
    // Create each prefix in turn; EEXIST is fine as long as the final path is a directory.
    for (size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos != path.size() && path[pos] != '/') continue;
        std::string prefix = path.substr(0, pos);
        if (mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
            error = sys_error("cannot create directory", prefix, errno);
            return false;
        }
    }
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        error = sys_error("cannot stat", path, errno);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        error = path + " exists and is not a directory";
        return false;
    }
    return true;
}

int write_all_at(int fd, const void* data, size_t n, off_t offset) {
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, offset);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (w == 0) return EIO;
        p += w;
        n -= static_cast<size_t>(w);
        offset += w;
    }
    return 0;
}

ssize_t read_full_at(int fd, void* data, size_t n, off_t offset) {
    auto* p = static_cast<char*>(data);
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, p + done, n - done, offset + static_cast<off_t>(done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (r == 0) break;
        done += static_cast<size_t>(r);
    }
    return static_cast<ssize_t>(done);
}

std::string sys_error(const std::string& what, const std::string& path, int err) {
    return what + " " + path + ": " + std::strerror(err);
}

}  // namespace authd::store
