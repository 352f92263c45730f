// Journal: the durable record log of one store directory — an exclusive lock file, a
// compacted snapshot and an append-only journal of the records written since.
//
// Files in DIR:
//   LOCK      flock()ed for the life of the Journal; holds the owner's pid (for the message).
//   snapshot  header {magic, format, generation, record count, body bytes, crc} + records.
//   journal   header {magic, format, generation, crc} + records appended since that snapshot.
// A record is framed as u32 length | u32 CRC-32C(length bytes + payload) | payload.
//
// Crash safety: both files are only ever replaced by "write temp, fsync, rename, fsync DIR".
// Compaction publishes snapshot generation g+1 first, then a fresh journal of generation
// g+1; a journal whose generation is older than the snapshot's was already folded into it
// and is discarded at open. A torn tail (the unsynced part of the last write) is cut off.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace authd::store {

// Receives every live record while a snapshot is written. Errors are reported by compact().
class RecordSink {
  public:
    virtual ~RecordSink() = default;
    virtual void add(std::string_view record) = 0;
};

class Journal {
  public:
    static constexpr uint32_t max_record_bytes = 1u << 20;
    // Never more than this many bytes are written but not yet fdatasync()ed: append() syncs
    // early rather than exceed it. Recovery relies on it to tell a torn tail (always within
    // this bound of the end) from corruption of acknowledged records (refused, not dropped).
    static constexpr size_t max_unsynced_bytes = 8u << 20;

    // Steps of compact(), for tests that simulate a crash right after one of them.
    enum class Step {
        none,
        snapshot_written,  // snapshot.tmp complete and fsynced, not yet renamed
        snapshot_renamed,  // snapshot replaced and DIR fsynced; old journal still in place
        journal_written,   // journal.tmp complete and fsynced, not yet renamed
    };

    // Creates DIR (0700) if missing, takes DIR/LOCK (fails with "store directory DIR is in
    // use by another authd process (pid N)" when held), removes leftovers of an interrupted
    // compaction and checks the headers. nullptr with `error` filled on failure.
    static std::unique_ptr<Journal> open(const std::string& dir, std::string& error);
    ~Journal();  // releases the lock; does not sync (call sync() first)
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    // Feeds the snapshot's records, then the journal's, to fn. Call it once, right after
    // open and before the first append (it cuts off a torn tail that appends would bury).
    // A torn or corrupt tail of the journal is logged and truncated away. False with `error`
    // on a corrupt snapshot, corruption before the tail, an I/O error, or when fn returns
    // false (a record the caller cannot apply).
    bool replay(const std::function<bool(std::string_view)>& fn, std::string& error);

    // Buffers one record (1..max_record_bytes bytes). False when it is too large or the
    // journal has failed; nothing is buffered then.
    bool append(std::string_view record);
    // Writes the buffered records and fdatasync()s: one call makes every append since the
    // last one durable (group commit). False when the write or the sync failed; the journal
    // is then failed for good (after a failed fsync the kernel may have dropped the pages,
    // so retrying could acknowledge lost data) and every later append/sync fails.
    bool sync();

    // Writes a new snapshot from write_all (which must add every live record), then starts
    // an empty journal. Syncs pending appends first. False on failure: before the new
    // snapshot is published the old files stay in use; after it, the journal is failed.
    bool compact(const std::function<void(RecordSink&)>& write_all);

    bool failed() const { return failed_; }
    size_t pending_bytes() const { return buffer_.size(); }
    uint64_t appended_records() const { return appended_; }  // counter, for "did this op write"
    uint64_t journal_bytes() const { return journal_size_ + buffer_.size(); }
    uint64_t snapshot_bytes() const { return snapshot_size_; }
    uint64_t generation() const { return generation_; }
    const std::string& dir() const { return dir_; }

    // Tests only: compact() stops right after `step`, as if the process had died there.
    void simulate_crash_after(Step step) { crash_after_ = step; }
    // Tests only, any thread: the next sync() fails as a failed write would.
    void simulate_sync_failure() { fail_next_sync_.store(true); }

  private:
    Journal() = default;
    bool lock(std::string& error);
    bool check_snapshot(std::string& error);
    bool open_journal(std::string& error);
    bool write_fresh_journal(uint64_t generation, std::string& error);
    bool replay_snapshot(const std::function<bool(std::string_view)>& fn, std::string& error);
    bool replay_journal(const std::function<bool(std::string_view)>& fn, std::string& error);
    bool write_snapshot(uint64_t generation, const std::function<void(RecordSink&)>& write_all,
                        std::string& error);
    bool crash_here(Step step);
    std::string path(const char* name) const { return dir_ + "/" + name; }

    std::string dir_;
    int dir_fd_ = -1;
    int lock_fd_ = -1;
    int journal_fd_ = -1;
    uint64_t generation_ = 0;    // of the snapshot and of the journal that follows it
    bool has_snapshot_ = false;  // generation 0 may have no snapshot file
    uint64_t snapshot_size_ = 0;
    uint64_t journal_size_ = 0;  // bytes in the journal file (header included), all synced
    uint64_t appended_ = 0;
    std::string buffer_;  // framed records not yet written; size <= max_unsynced_bytes
    bool failed_ = false;
    bool replayed_ = false;
    Step crash_after_ = Step::none;
    std::atomic<bool> fail_next_sync_{false};
};

}  // namespace authd::store
