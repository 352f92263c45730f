// DIR/signing_keys: strict reads, atomic durable replacement.
#include "store/signing_keys_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "store/file_util.hpp"

namespace authd::store {
namespace {
constexpr size_t max_bytes = 64 * 1024;
}

std::optional<std::optional<std::string>> read_signing_keys_file(const std::string& dir,
                                                                 std::string& error) {
    const std::string path = dir + "/signing_keys";
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::optional<std::string>{};
        error = sys_error("cannot open", path, errno);
        return std::nullopt;
    }
    struct stat st {};
    std::string text(max_bytes + 1, '\0');
    ssize_t n = -EINVAL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) == 0)
        n = read_full_at(fd, text.data(), text.size(), 0);
    ::close(fd);
    if (n < 0 || static_cast<size_t>(n) > max_bytes) {
        error = path + " is not a private (0600) regular file of at most 64 KiB";
        return std::nullopt;
    }
    text.resize(static_cast<size_t>(n));
    return std::optional<std::string>(std::move(text));
}

bool write_signing_keys_file(const std::string& dir, const std::string& text, std::string& error) {
    const std::string path = dir + "/signing_keys";
    const std::string tmp = path + ".tmp";
    unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = sys_error("cannot create", tmp, errno);
        return false;
    }
    int err = write_all_at(fd, text.data(), text.size(), 0);
    if (err == 0 && fsync(fd) != 0) err = errno;
    ::close(fd);
    if (err == 0 && rename(tmp.c_str(), path.c_str()) != 0) err = errno;
    if (err != 0) {
        unlink(tmp.c_str());
        error = sys_error("cannot write", path, err);
        return false;
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        err = fsync(dfd) == 0 ? 0 : errno;
        ::close(dfd);
    }
    if (err != 0) error = sys_error("cannot sync", dir, err);
    return err == 0;
}

}  // namespace authd::store
