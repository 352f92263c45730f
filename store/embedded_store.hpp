// EmbeddedStore: the `file:DIR` backend. One writer thread owns the data (EmbeddedState)
// and the journal; loops hand it operations through a lock-free MPSC queue and get each
// result back on their own thread through Loop::post. The writer drains a batch, applies
// it, syncs the journal once for the whole batch (group commit) and only then answers the
// operations that wrote; a read is answered at once unless it follows an unsynced write.
//
// Failure convention (a failed fsync or write never acknowledges): every write of the
// failed batch, and every write after it, answers unavailable. The journal then stays
// failed (refusing writes) and ping() answers unavailable until the process restarts and
// recovers from what reached the disk. Memory is not rolled back, so reads may still show
// the unacknowledged change until that restart.
//
// An operation started off-loop (Loop::current() == nullptr) resumes on the writer thread.
#pragma once
#include <atomic>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/loop.hpp"
#include "core/mpsc_queue.hpp"
#include "store/embedded_state.hpp"
#include "store/journal.hpp"
#include "store/store.hpp"

namespace authd::store {

struct EmbeddedStoreOptions {
    // Wall clock in microseconds (tests move time forward); defaults to core::wall_micros.
    std::function<int64_t()> clock_us;
    // Compact when the journal reaches compact_max_bytes, or compact_min_bytes and
    // compact_ratio times the snapshot's size.
    uint64_t compact_min_bytes = 4u << 20;
    uint64_t compact_max_bytes = 64u << 20;
    uint64_t compact_ratio = 4;
    // A batch is synced early once this many bytes are pending (bounds a batch's latency).
    size_t batch_bytes = 4u << 20;
};

// Counters for /metrics, readable from any thread.
struct EmbeddedStoreStats {
    uint64_t users = 0;
    uint64_t sessions = 0;
    uint64_t outbox = 0;
    uint64_t journal_bytes = 0;
    uint64_t snapshot_bytes = 0;
    uint64_t batches = 0;  // group commits (fdatasync calls that had data)
    uint64_t operations = 0;
    uint64_t compactions = 0;
    bool failed = false;
};

class EmbeddedStore final : public Store {
  public:
    // Opens DIR (see Journal::open), replays it and starts the writer thread.
    static std::unique_ptr<EmbeddedStore> open(const std::string& dir,
                                               const EmbeddedStoreOptions& options,
                                               std::string& error);
    ~EmbeddedStore() override;

    Task<Result<CreateUserResult>> create_user(User user, MailComposer mail) override;
    Task<Result<User>> find_user(int64_t id) override;
    Task<Result<User>> find_user_by_username(std::string username) override;
    Task<Result<User>> find_user_by_email(std::string email) override;
    Task<Result<User>> update_user(int64_t id, UserPatch patch) override;
    Task<Done> delete_user(int64_t id, DeleteIf when = DeleteIf::always) override;
    Task<Result<UserPage>> list_users(UserQuery query) override;
    Task<Result<size_t>> count_users() override;
    Task<Result<std::vector<ImportStatus>>> import_users(std::vector<User> users,
                                                         bool dry_run) override;

    Task<Done> create_session(Session session) override;
    Task<Result<RotateResult>> rotate_refresh(std::string sid, std::string presented_jti,
                                              std::string new_jti, int64_t new_expires_at) override;
    Task<Result<RevokeResult>> revoke_session(std::string sid) override;
    Task<Result<Session>> find_session(std::string sid) override;

    Task<Result<LoginFailures>> login_failures(std::string key) override;
    Task<Result<LoginFailures>> reserve_login_attempt(std::string key, uint32_t max,
                                                      int64_t window_seconds) override;
    Task<Done> release_login_attempt(std::string key) override;
    Task<Done> clear_login_failures(std::string key) override;

    Task<Done> append_audit(AuditRecord record) override;
    Task<Result<std::vector<AuditRecord>>> audit_for(int64_t target_id) override;

    Task<Result<int64_t>> enqueue_mail(OutboxMail mail) override;
    Task<Result<std::vector<OutboxMail>>> due_mail(int64_t now_us, size_t max) override;
    Task<Done> mail_sent(int64_t id) override;
    Task<Done> mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us) override;
    Task<Done> mail_dropped(int64_t id) override;

    Task<Result<ValidationState>> load_validation_state() override;
    Task<Result<std::string>> load_signing_keys() override;
    Task<Done> replace_signing_keys(std::string expected, std::string sealed) override;
    Task<Done> ping() override;

    // Answers what is queued, syncs, stops the writer and releases the directory lock.
    // Call after the loops have stopped: an operation submitted afterwards fails at once.
    void close() override;

    void append_metrics(std::string& out) const override;
    EmbeddedStoreStats stats() const;

    // Tests only: the writer's next sync fails (as a full or failing disk would).
    void simulate_sync_failure() { journal_->simulate_sync_failure(); }

  private:
    // One queued operation. Lives inside the awaiting coroutine's frame.
    struct Op : core::MpscNode {
        virtual void execute(EmbeddedState& state) = 0;
        virtual void fail() = 0;     // replaces the result with Answer::unavailable
        core::Loop* loop = nullptr;  // where to resume; nullptr: resume on the writer
        std::coroutine_handle<> waiter;
        bool wrote = false;

      protected:
        ~Op() = default;
    };

    // R is the Result<...> fn answers.
    template <class R, class F>
    class Call final : public Op {
      public:
        Call(EmbeddedStore* store, F fn) : store_(store), fn_(std::move(fn)) {}
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> h) {
            if (!store_->accepting_.load(std::memory_order_acquire)) {
                fail();
                return false;  // closed: resume at once, unanswered
            }
            waiter = h;
            loop = core::Loop::current();
            store_->push(this);
            return true;
        }
        R await_resume() { return std::move(*result_); }
        void execute(EmbeddedState& state) override { result_.emplace(fn_(state)); }
        void fail() override { result_.emplace(Answer::unavailable); }

      private:
        EmbeddedStore* store_;
        F fn_;
        std::optional<R> result_;
    };

    // co_await submit(fn): fn(state) runs on the writer; resumes on this loop.
    template <class F>
    Call<std::invoke_result_t<F&, EmbeddedState&>, F> submit(F fn) {
        return Call<std::invoke_result_t<F&, EmbeddedState&>, F>(this, std::move(fn));
    }

    EmbeddedStore(std::unique_ptr<Journal> journal, const EmbeddedStoreOptions& options);
    void push(Op* op);
    void writer_main();
    void run(Op* op);
    void finish_batch();
    void maybe_compact();
    void publish_stats();
    bool read_signing_keys_once();  // writer only: false (logged) when the file is unreadable
    static void complete(Op* op);

    EmbeddedStoreOptions options_;
    std::unique_ptr<Journal> journal_;
    std::unique_ptr<EmbeddedState> state_;
    core::MpscQueue queue_;
    std::atomic<uint32_t> wake_{0};  // 1 once work was pushed since the writer last looked
    std::atomic<bool> stopping_{false};
    std::atomic<bool> accepting_{true};
    std::vector<Op*> deferred_;        // writer only: answered after the batch's sync
    uint64_t next_compact_check_ = 0;  // writer only: journal size before which not to retry
    std::optional<std::string> signing_keys_;  // writer only: DIR/signing_keys' text, once read
    bool signing_keys_read_ = false;           // writer only: signing_keys_ holds the file
    std::thread writer_;
    bool closed_ = false;

    struct AtomicStats {
        std::atomic<uint64_t> users{0}, sessions{0}, outbox{0}, journal_bytes{0}, snapshot_bytes{0},
            batches{0}, operations{0}, compactions{0};
        std::atomic<bool> failed{false};
    } stats_;
};

// Opens `dir` with the default options (AUTHD_STORE=file:DIR). nullptr with `error` filled
// when the directory is locked by another process, unreadable or corrupt.
std::unique_ptr<Store> open_embedded_store(const std::string& dir, std::string& error);

}  // namespace authd::store
