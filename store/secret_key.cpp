// Secret key file: strict permission checks on read, atomic creation with getrandom().
#include "store/secret_key.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/log.hpp"
#include "store/file_util.hpp"

namespace authd::store {
namespace {

constexpr size_t key_bytes = 64;
constexpr size_t max_key_file_bytes = 4096;

std::string mode_text(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// nullopt (error filled) on failure; an empty optional string never escapes.
std::optional<std::string> read_key(int fd, const std::string& path, std::string& error) {
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        error = sys_error("cannot stat", path, errno);
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        error = "secret key " + path + " is not a regular file";
        return std::nullopt;
    }
    if (st.st_uid != geteuid()) {
        error = "secret key " + path + " is owned by uid " + std::to_string(st.st_uid) +
                ", not by this process's user (uid " + std::to_string(geteuid()) + ")";
        return std::nullopt;
    }
    if ((st.st_mode & 077) != 0) {
        error = "secret key " + path + " has mode " + mode_text(st.st_mode) +
                ": group and others must have no access (chmod 600 " + path + ")";
        return std::nullopt;
    }
    std::string key(max_key_file_bytes + 1, '\0');
    ssize_t n = read_full_at(fd, key.data(), key.size(), 0);
    if (n < 0) {
        error = sys_error("cannot read", path, static_cast<int>(-n));
        return std::nullopt;
    }
    key.resize(static_cast<size_t>(n));
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) {
        key.pop_back();
    }
    if (key.empty() || key.size() > max_key_file_bytes) {
        error = "secret key " + path + (key.empty() ? " is empty" : " is larger than 4 KiB");
        return std::nullopt;
    }
    return key;
}

bool random_hex(std::string& out, std::string& error) {
    unsigned char raw[key_bytes];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            error = std::string("getrandom failed: ") + std::strerror(errno);
            return false;
        }
        got += static_cast<size_t>(n);
    }
    static const char digits[] = "0123456789abcdef";
    out.clear();
    for (unsigned char b : raw) {
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    return true;
}

// Writes a fresh key to a private temp file and links it to `path` (fails with EEXIST,
// never overwrites, when another process got there first). Returns 0 or an errno.
int create_key_file(const std::string& dir, const std::string& path, std::string& error) {
    std::string key;
    if (!random_hex(key, error)) return EIO;
    key += '\n';
    std::string tmp = dir + "/secret_key.tmp." + std::to_string(getpid());
    unlink(tmp.c_str());  // a leftover of a crashed start with the same pid
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        error = sys_error("cannot create", tmp, err);
        return err;
    }
    int err = write_all_at(fd, key.data(), key.size(), 0);
    if (err == 0 && fsync(fd) != 0) err = errno;
    ::close(fd);
    if (err == 0 && link(tmp.c_str(), path.c_str()) != 0) err = errno;
    unlink(tmp.c_str());
    if (err != 0 && err != EEXIST) error = sys_error("cannot write", path, err);
    if (err == 0) {
        int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            ::close(dfd);
        }
    }
    return err;
}

}  // namespace

std::optional<std::string> load_or_create_secret_key(const std::string& dir, std::string& error) {
    if (!make_dirs(dir, 0700, error)) return std::nullopt;
    const std::string path = dir + "/secret_key";
    for (int attempt = 0; attempt < 2; ++attempt) {
        int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            std::optional<std::string> key = read_key(fd, path, error);
            ::close(fd);
            return key;
        }
        if (errno != ENOENT) {
            error = errno == ELOOP ? "secret key " + path + " is a symbolic link; refusing it"
                                   : sys_error("cannot open", path, errno);
            return std::nullopt;
        }
        int err = create_key_file(dir, path, error);
        if (err == EEXIST) continue;  // another process created it: read theirs
        if (err != 0) return std::nullopt;
        core::log_warn("store",
                       "generated a new secret key; set AUTHD_SECRET_KEY to manage it "
                       "yourself",
                       {{"file", path}});
    }
    error = "secret key " + path + " vanished while being created";
    return std::nullopt;
}

}  // namespace authd::store
