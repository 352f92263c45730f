// Journal: lock file, header checks, replay with torn-tail recovery, group-committed
// appends and crash-safe compaction (see journal.hpp for the file protocol).
#include "store/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>

#include "core/log.hpp"
#include "store/file_util.hpp"
#include "store/frame_reader.hpp"
#include "store/journal_format.hpp"

namespace authd::store {

namespace jf = journal_format;

namespace {

constexpr const char* lock_name = "LOCK";
constexpr const char* snapshot_name = "snapshot";
constexpr const char* snapshot_tmp_name = "snapshot.tmp";
constexpr const char* journal_name = "journal";
constexpr const char* journal_tmp_name = "journal.tmp";
constexpr size_t snapshot_write_chunk = 1u << 20;

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

std::string strip_trailing_slashes(std::string dir) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir;
}

// Makes the directory entry of `dir` itself durable in its parent (once, at open).
void fsync_parent(const std::string& dir) {
    size_t slash = dir.rfind('/');
    std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
    int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    fsync(fd);
    ::close(fd);
}

// Buffers snapshot frames and writes them behind the header; remembers the first error.
class SnapshotWriter final : public RecordSink {
  public:
    explicit SnapshotWriter(int fd) : fd_(fd) {}
    void add(std::string_view record) override {
        if (error_ != 0) return;
        if (record.empty() || record.size() > Journal::max_record_bytes) {
            error_ = EMSGSIZE;
            return;
        }
        jf::append_frame(buf_, record);
        ++count_;
        if (buf_.size() >= snapshot_write_chunk) flush();
    }
    bool flush() {
        if (error_ != 0) return false;
        error_ = write_all_at(fd_, buf_.data(), buf_.size(), static_cast<off_t>(offset_));
        offset_ += buf_.size();
        buf_.clear();
        return error_ == 0;
    }
    int error() const { return error_; }
    uint64_t count() const { return count_; }
    uint64_t body_bytes() const { return offset_ - jf::snapshot_header_bytes; }

  private:
    int fd_;
    uint64_t offset_ = jf::snapshot_header_bytes;
    uint64_t count_ = 0;
    std::string buf_;
    int error_ = 0;
};

}  // namespace

std::unique_ptr<Journal> Journal::open(const std::string& dir_in, std::string& error) {
    std::unique_ptr<Journal> j(new Journal);
    j->dir_ = strip_trailing_slashes(dir_in);
    if (!make_dirs(j->dir_, 0700, error)) return nullptr;
    fsync_parent(j->dir_);
    j->dir_fd_ = ::open(j->dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (j->dir_fd_ < 0) {
        error = sys_error("cannot open store directory", j->dir_, errno);
        return nullptr;
    }
    if (!j->lock(error)) return nullptr;
    // A temp file means a compaction died before publishing it; the files it would have
    // replaced are still complete, so the leftover is simply dropped.
    for (const char* name : {snapshot_tmp_name, journal_tmp_name}) {
        if (unlinkat(j->dir_fd_, name, 0) == 0) {
            core::log_warn("store", "removed a leftover of an interrupted compaction",
                           {{"file", j->path(name)}});
        }
    }
    if (!j->check_snapshot(error) || !j->open_journal(error)) return nullptr;
    return j;
}

Journal::~Journal() {
    if (!buffer_.empty()) {
        core::log_warn("store", "journal closed with unsynced records; they are dropped");
    }
    close_fd(journal_fd_);
    close_fd(dir_fd_);
    close_fd(lock_fd_);  // last: releases the flock
}

bool Journal::lock(std::string& error) {
    lock_fd_ = openat(dir_fd_, lock_name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock_fd_ < 0) {
        error = sys_error("cannot open lock file", path(lock_name), errno);
        return false;
    }
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err != EWOULDBLOCK) {
            error = sys_error("cannot lock", path(lock_name), err);
            return false;
        }
        char buf[32] = {};
        ssize_t n = read_full_at(lock_fd_, buf, sizeof buf - 1, 0);
        std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
        error = "store directory " + dir_ + " is in use by another authd process (pid " +
                (pid.empty() ? std::string("unknown") : pid) + ")";
        return false;
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(lock_fd_, 0) != 0 || write_all_at(lock_fd_, pid.data(), pid.size(), 0) != 0) {
        core::log_warn("store", "cannot write the pid into the lock file",
                       {{"file", path(lock_name)}});
    }
    return true;
}

bool Journal::check_snapshot(std::string& error) {
    int fd = openat(dir_fd_, snapshot_name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return true;  // generation 0: nothing compacted yet
        error = sys_error("cannot open", path(snapshot_name), errno);
        return false;
    }
    struct stat st {};
    char head[jf::snapshot_header_bytes];
    jf::SnapshotHeader h;
    bool ok = fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(sizeof head) &&
              read_full_at(fd, head, sizeof head, 0) == static_cast<ssize_t>(sizeof head) &&
              jf::decode_snapshot_header(head, h);
    ::close(fd);
    if (!ok) {
        error = "snapshot " + path(snapshot_name) + " has a missing or corrupt header";
        return false;
    }
    if (h.body_bytes != static_cast<uint64_t>(st.st_size) - sizeof head) {
        error = "snapshot " + path(snapshot_name) + " is " + std::to_string(st.st_size) +
                " bytes but its header says " + std::to_string(h.body_bytes + sizeof head);
        return false;
    }
    has_snapshot_ = true;
    generation_ = h.generation;
    snapshot_size_ = static_cast<uint64_t>(st.st_size);
    return true;
}

bool Journal::open_journal(std::string& error) {
    int fd = openat(dir_fd_, journal_name, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            error = sys_error("cannot open", path(journal_name), errno);
            return false;
        }
        if (has_snapshot_) {
            core::log_warn("store", "journal missing next to the snapshot; starting an empty one",
                           {{"dir", dir_}});
        }
        return write_fresh_journal(generation_, error);
    }
    struct stat st {};
    char head[jf::journal_header_bytes];
    jf::JournalHeader h;
    bool ok = fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(sizeof head) &&
              read_full_at(fd, head, sizeof head, 0) == static_cast<ssize_t>(sizeof head) &&
              jf::decode_journal_header(head, h);
    if (!ok) {
        ::close(fd);
        error = "journal " + path(journal_name) + " has a missing or corrupt header";
        return false;
    }
    if (h.generation == generation_) {
        journal_fd_ = fd;
        journal_size_ = static_cast<uint64_t>(st.st_size);
        return true;
    }
    ::close(fd);
    if (h.generation < generation_) {
        // Compaction died after publishing the snapshot: these records are all in it.
        core::log_info("store", "discarding a journal already folded into the snapshot",
                       {{"journal_generation", std::to_string(h.generation)},
                        {"snapshot_generation", std::to_string(generation_)}});
        return write_fresh_journal(generation_, error);
    }
    error = "journal " + path(journal_name) + " (generation " + std::to_string(h.generation) +
            ") is newer than the snapshot (generation " + std::to_string(generation_) +
            "): the snapshot is missing or was replaced; refusing to start";
    return false;
}

bool Journal::write_fresh_journal(uint64_t generation, std::string& error) {
    int fd = openat(dir_fd_, journal_tmp_name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = sys_error("cannot create", path(journal_tmp_name), errno);
        return false;
    }
    std::string head = jf::encode_journal_header(generation);
    int err = write_all_at(fd, head.data(), head.size(), 0);
    if (err == 0 && fsync(fd) != 0) err = errno;
    if (err != 0) {
        ::close(fd);
        unlinkat(dir_fd_, journal_tmp_name, 0);
        error = sys_error("cannot write", path(journal_tmp_name), err);
        return false;
    }
    if (crash_here(Step::journal_written)) {
        ::close(fd);
        error = "simulated crash";
        return false;
    }
    if (renameat(dir_fd_, journal_tmp_name, dir_fd_, journal_name) != 0 || fsync(dir_fd_) != 0) {
        err = errno;
        ::close(fd);
        error = sys_error("cannot publish", path(journal_name), err);
        return false;
    }
    close_fd(journal_fd_);
    journal_fd_ = fd;  // the renamed temp file is the journal now
    journal_size_ = head.size();
    return true;
}

bool Journal::replay(const std::function<bool(std::string_view)>& fn, std::string& error) {
    assert(!replayed_);
    replayed_ = true;
    if (has_snapshot_ && !replay_snapshot(fn, error)) return false;
    return replay_journal(fn, error);
}

bool Journal::replay_snapshot(const std::function<bool(std::string_view)>& fn, std::string& error) {
    int fd = openat(dir_fd_, snapshot_name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = sys_error("cannot open", path(snapshot_name), errno);
        return false;
    }
    char head[jf::snapshot_header_bytes];
    jf::SnapshotHeader h;
    if (read_full_at(fd, head, sizeof head, 0) != static_cast<ssize_t>(sizeof head) ||
        !jf::decode_snapshot_header(head, h)) {
        ::close(fd);
        error = "snapshot " + path(snapshot_name) + " has a corrupt header";
        return false;
    }
    FrameReader reader(fd, sizeof head, snapshot_size_, max_record_bytes);
    uint64_t count = 0;
    std::string_view record;
    FrameReader::Status status;
    while ((status = reader.next(record)) == FrameReader::Status::record) {
        if (!fn(record)) {
            error = "snapshot record at offset " + std::to_string(reader.frame_offset()) + " of " +
                    path(snapshot_name) + " cannot be applied";
            ::close(fd);
            return false;
        }
        ++count;
    }
    ::close(fd);
    if (status == FrameReader::Status::bad) {
        error = reader.io_error() != 0
                    ? sys_error("cannot read", path(snapshot_name), reader.io_error())
                    : "snapshot " + path(snapshot_name) + " is corrupt at offset " +
                          std::to_string(reader.frame_offset());
        return false;
    }
    if (count != h.record_count) {
        error = "snapshot " + path(snapshot_name) + " holds " + std::to_string(count) +
                " records but its header says " + std::to_string(h.record_count);
        return false;
    }
    return true;
}

bool Journal::replay_journal(const std::function<bool(std::string_view)>& fn, std::string& error) {
    FrameReader reader(journal_fd_, jf::journal_header_bytes, journal_size_, max_record_bytes);
    std::string_view record;
    FrameReader::Status status;
    while ((status = reader.next(record)) == FrameReader::Status::record) {
        if (!fn(record)) {
            error = "journal record at offset " + std::to_string(reader.frame_offset()) + " of " +
                    path(journal_name) + " cannot be applied";
            return false;
        }
    }
    if (status == FrameReader::Status::end) return true;
    if (reader.io_error() != 0) {
        error = sys_error("cannot read", path(journal_name), reader.io_error());
        return false;
    }
    uint64_t at = reader.frame_offset();
    uint64_t tail = journal_size_ - at;
    if (tail > max_unsynced_bytes) {
        error = "journal " + path(journal_name) + " is corrupt at offset " + std::to_string(at) +
                " with " + std::to_string(tail) +
                " bytes after it, more than an interrupted write leaves: acknowledged records "
                "would be lost; refusing to start (move the journal aside to start from the "
                "snapshot alone)";
        return false;
    }
    core::log_warn("store", "ignoring a torn or corrupt record at the end of the journal",
                   {{"file", path(journal_name)},
                    {"offset", std::to_string(at)},
                    {"bytes_dropped", std::to_string(tail)}});
    if (ftruncate(journal_fd_, static_cast<off_t>(at)) != 0 || fdatasync(journal_fd_) != 0) {
        error = sys_error("cannot truncate", path(journal_name), errno);
        return false;
    }
    journal_size_ = at;
    return true;
}

bool Journal::append(std::string_view record) {
    if (failed_ || record.empty() || record.size() > max_record_bytes) return false;
    if (buffer_.size() + jf::frame_header_bytes + record.size() > max_unsynced_bytes && !sync()) {
        return false;
    }
    jf::append_frame(buffer_, record);
    ++appended_;
    return true;
}

bool Journal::sync() {
    if (failed_) return false;
    if (buffer_.empty()) return true;
    int err = fail_next_sync_.exchange(false)
                  ? EIO
                  : write_all_at(journal_fd_, buffer_.data(), buffer_.size(),
                                 static_cast<off_t>(journal_size_));
    if (err == 0) {
        journal_size_ += buffer_.size();
        if (fdatasync(journal_fd_) != 0) err = errno;
    }
    buffer_.clear();
    if (buffer_.capacity() > max_unsynced_bytes) buffer_.shrink_to_fit();
    if (err != 0) {
        failed_ = true;
        core::log_error("store", "journal write failed; the store refuses writes until restarted",
                        {{"file", path(journal_name)}, {"error", std::strerror(err)}});
        return false;
    }
    return true;
}

bool Journal::compact(const std::function<void(RecordSink&)>& write_all) {
    if (failed_ || !sync()) return false;
    uint64_t next = generation_ + 1;
    std::string error;
    if (!write_snapshot(next, write_all, error)) {
        if (!failed_) {
            core::log_error("store", "compaction failed; the current journal stays in use",
                            {{"error", error}});
        }
        return false;
    }
    generation_ = next;
    has_snapshot_ = true;
    if (crash_here(Step::snapshot_renamed)) return false;
    if (!write_fresh_journal(next, error)) {
        if (failed_) return false;  // a simulated crash
        // The published snapshot makes the old journal stale: appending to it would lose
        // records at the next open, so stop accepting writes instead.
        failed_ = true;
        core::log_error("store",
                        "cannot start a new journal after compaction; the store "
                        "refuses writes until restarted",
                        {{"error", error}});
        return false;
    }
    return true;
}

bool Journal::write_snapshot(uint64_t generation, const std::function<void(RecordSink&)>& write_all,
                             std::string& error) {
    int fd = openat(dir_fd_, snapshot_tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = sys_error("cannot create", path(snapshot_tmp_name), errno);
        return false;
    }
    SnapshotWriter writer(fd);
    write_all(writer);
    int err = writer.flush() ? 0 : writer.error();
    if (err == 0) {
        std::string head =
            jf::encode_snapshot_header({generation, writer.count(), writer.body_bytes()});
        err = write_all_at(fd, head.data(), head.size(), 0);
        if (err == 0 && fsync(fd) != 0) err = errno;
    }
    ::close(fd);
    if (err != 0) {
        unlinkat(dir_fd_, snapshot_tmp_name, 0);
        error = sys_error("cannot write", path(snapshot_tmp_name), err);
        return false;
    }
    if (crash_here(Step::snapshot_written)) return false;
    if (renameat(dir_fd_, snapshot_tmp_name, dir_fd_, snapshot_name) != 0) {
        err = errno;
        unlinkat(dir_fd_, snapshot_tmp_name, 0);
        error = sys_error("cannot publish", path(snapshot_name), err);
        return false;
    }
    if (fsync(dir_fd_) != 0) {
        // Whether the rename is durable is unknown, so no journal of either generation is
        // safe to append to any more.
        failed_ = true;
        error = sys_error("cannot fsync", dir_, errno);
        core::log_error("store",
                        "compaction could not make the snapshot durable; the store "
                        "refuses writes until restarted",
                        {{"error", error}});
        return false;
    }
    snapshot_size_ = jf::snapshot_header_bytes + writer.body_bytes();
    return true;
}

bool Journal::crash_here(Step step) {
    if (crash_after_ != step) return false;
    failed_ = true;  // the "dead" process must not touch its files again
    return true;
}

}  // namespace authd::store
