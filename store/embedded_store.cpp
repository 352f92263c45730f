// EmbeddedStore: the writer thread (batch, group commit, answer), compaction scheduling,
// and the Store methods, each a coroutine that hands one operation to the writer.
#include "store/embedded_store.hpp"

#include <pthread.h>

#include <chrono>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "store/signing_keys_file.hpp"

namespace authd::store {

// ---- lifecycle --------------------------------------------------------------------------

EmbeddedStore::EmbeddedStore(std::unique_ptr<Journal> journal, const EmbeddedStoreOptions& options)
    : options_(options), journal_(std::move(journal)) {
    if (!options_.clock_us) options_.clock_us = [] { return core::wall_micros(); };
    state_ = std::make_unique<EmbeddedState>(*journal_, options_.clock_us);
}

std::unique_ptr<EmbeddedStore> EmbeddedStore::open(const std::string& dir,
                                                   const EmbeddedStoreOptions& options,
                                                   std::string& error) {
    auto started = core::mono_now();
    std::unique_ptr<Journal> journal = Journal::open(dir, error);
    if (!journal) return nullptr;
    std::unique_ptr<EmbeddedStore> store(new EmbeddedStore(std::move(journal), options));
    EmbeddedState& state = *store->state_;
    if (!store->journal_->replay([&](std::string_view r) { return state.apply_encoded(r); },
                                 error)) {
        return nullptr;
    }
    auto ms = std::chrono::duration_cast<core::Millis>(core::mono_now() - started).count();
    core::log_info("store", "embedded store opened",
                   {{"dir", store->journal_->dir()},
                    {"users", std::to_string(state.user_count())},
                    {"sessions", std::to_string(state.session_count())},
                    {"outbox", std::to_string(state.outbox_size())},
                    {"generation", std::to_string(store->journal_->generation())},
                    {"journal_bytes", std::to_string(store->journal_->journal_bytes())},
                    {"ms", std::to_string(ms)}});
    store->maybe_compact();  // a long journal left by the last run
    store->publish_stats();
    store->writer_ = std::thread([s = store.get()] { s->writer_main(); });
    return store;
}

std::unique_ptr<Store> open_embedded_store(const std::string& dir, std::string& error) {
    return EmbeddedStore::open(dir, EmbeddedStoreOptions{}, error);
}

EmbeddedStore::~EmbeddedStore() {
    close();
}

void EmbeddedStore::close() {
    if (closed_) return;
    closed_ = true;
    accepting_.store(false, std::memory_order_release);
    stopping_.store(true, std::memory_order_release);
    wake_.store(1);
    wake_.notify_one();
    bool was_running = writer_.joinable();
    if (was_running) writer_.join();
    journal_->sync();
    journal_.reset();  // releases DIR/LOCK
    if (was_running) core::log_info("store", "embedded store closed");
}

EmbeddedStoreStats EmbeddedStore::stats() const {
    auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    return {get(stats_.users),
            get(stats_.sessions),
            get(stats_.outbox),
            get(stats_.journal_bytes),
            get(stats_.snapshot_bytes),
            get(stats_.batches),
            get(stats_.operations),
            get(stats_.compactions),
            stats_.failed.load(std::memory_order_relaxed)};
}

// ---- the writer thread ------------------------------------------------------------------

void EmbeddedStore::push(Op* op) {
    queue_.push(op);
    // Only the first push after the writer looked pays for the futex wake.
    if (wake_.exchange(1) == 0) wake_.notify_one();
}

void EmbeddedStore::writer_main() {
    pthread_setname_np(pthread_self(), "authd-store");
    for (;;) {
        // Clear before draining: a push that the drain misses sets it again and wakes us.
        wake_.store(0);
        while (core::MpscNode* node = queue_.pop()) {
            run(static_cast<Op*>(node));
            if (journal_->pending_bytes() >= options_.batch_bytes) finish_batch();
        }
        finish_batch();
        maybe_compact();
        publish_stats();
        if (stopping_.load(std::memory_order_acquire)) break;
        wake_.wait(0);
    }
}

void EmbeddedStore::run(Op* op) {
    uint64_t before = journal_->appended_records();
    op->execute(*state_);
    if (state_->take_write_refused()) op->fail();  // same value, flagged as unanswered
    op->wrote = journal_->appended_records() != before;
    stats_.operations.fetch_add(1, std::memory_order_relaxed);
    // Nothing unsynced means nothing this answer depends on can still be lost.
    if (journal_->pending_bytes() == 0) {
        complete(op);
    } else {
        deferred_.push_back(op);
    }
}

void EmbeddedStore::finish_batch() {
    if (deferred_.empty()) return;
    bool durable = journal_->sync();
    stats_.batches.fetch_add(1, std::memory_order_relaxed);
    for (Op* op : deferred_) {
        if (!durable && op->wrote) op->fail();
        complete(op);
    }
    deferred_.clear();
}

void EmbeddedStore::complete(Op* op) {
    // The op lives in the waiting coroutine's frame: read it before handing it over.
    core::Loop* loop = op->loop;
    std::coroutine_handle<> waiter = op->waiter;
    if (loop) {
        loop->post([waiter] { waiter.resume(); });
    } else {
        waiter.resume();  // submitted off-loop: continue on the writer thread
    }
}

void EmbeddedStore::maybe_compact() {
    if (journal_->failed()) return;
    uint64_t jb = journal_->journal_bytes();
    if (jb < next_compact_check_ || jb < options_.compact_min_bytes) return;
    if (jb < options_.compact_max_bytes &&
        jb < options_.compact_ratio * journal_->snapshot_bytes()) {
        return;
    }
    auto started = core::mono_now();
    bool ok = journal_->compact([this](RecordSink& sink) { state_->write_snapshot(sink); });
    if (!ok) {
        // Keep working on the current journal; try again after it has grown some more.
        next_compact_check_ = jb + options_.compact_min_bytes;
        return;
    }
    next_compact_check_ = 0;
    stats_.compactions.fetch_add(1, std::memory_order_relaxed);
    auto ms = std::chrono::duration_cast<core::Millis>(core::mono_now() - started).count();
    core::log_info("store", "journal compacted",
                   {{"journal_bytes_before", std::to_string(jb)},
                    {"snapshot_bytes", std::to_string(journal_->snapshot_bytes())},
                    {"generation", std::to_string(journal_->generation())},
                    {"ms", std::to_string(ms)}});
}

void EmbeddedStore::publish_stats() {
    auto set = [](std::atomic<uint64_t>& a, uint64_t v) { a.store(v, std::memory_order_relaxed); };
    set(stats_.users, state_->user_count());
    set(stats_.sessions, state_->session_count());
    set(stats_.outbox, state_->outbox_size());
    set(stats_.journal_bytes, journal_->journal_bytes());
    set(stats_.snapshot_bytes, journal_->snapshot_bytes());
    stats_.failed.store(journal_->failed(), std::memory_order_relaxed);
}

// ---- Store methods: each parameter lives in the coroutine frame while the op runs --------

Task<Result<CreateUserResult>> EmbeddedStore::create_user(User user, MailComposer mail) {
    co_return co_await submit(
        [&](EmbeddedState& s) { return s.create_user(std::move(user), mail); });
}

Task<Result<User>> EmbeddedStore::find_user(int64_t id) {
    co_return co_await submit([&](EmbeddedState& s) { return s.find_user(id); });
}

Task<Result<User>> EmbeddedStore::find_user_by_username(std::string username) {
    co_return co_await submit([&](EmbeddedState& s) { return s.find_user_by_username(username); });
}

Task<Result<User>> EmbeddedStore::find_user_by_email(std::string email) {
    co_return co_await submit([&](EmbeddedState& s) { return s.find_user_by_email(email); });
}

Task<Result<User>> EmbeddedStore::update_user(int64_t id, UserPatch patch) {
    co_return co_await submit([&](EmbeddedState& s) { return s.update_user(id, patch); });
}

Task<Done> EmbeddedStore::delete_user(int64_t id, DeleteIf when) {
    co_return co_await submit([&](EmbeddedState& s) { return s.delete_user(id, when); });
}

Task<Result<UserPage>> EmbeddedStore::list_users(UserQuery query) {
    co_return co_await submit([&](EmbeddedState& s) { return s.list_users(query); });
}

Task<Result<size_t>> EmbeddedStore::count_users() {
    co_return co_await submit([](EmbeddedState& s) { return s.count_users(); });
}

Task<Result<std::vector<ImportStatus>>> EmbeddedStore::import_users(std::vector<User> users,
                                                                    bool dry_run) {
    co_return co_await submit([&](EmbeddedState& s) { return s.import_users(users, dry_run); });
}

Task<Done> EmbeddedStore::create_session(Session session) {
    co_return co_await submit([&](EmbeddedState& s) { return s.create_session(session); });
}

Task<Result<RotateResult>> EmbeddedStore::rotate_refresh(std::string sid, std::string presented_jti,
                                                         std::string new_jti,
                                                         int64_t new_expires_at) {
    co_return co_await submit([&](EmbeddedState& s) {
        return s.rotate_refresh(sid, presented_jti, new_jti, new_expires_at);
    });
}

Task<Result<RevokeResult>> EmbeddedStore::revoke_session(std::string sid) {
    co_return co_await submit([&](EmbeddedState& s) { return s.revoke_session(sid); });
}

Task<Result<LoginFailures>> EmbeddedStore::login_failures(std::string key) {
    co_return co_await submit([&](EmbeddedState& s) { return s.login_failures(key); });
}

Task<Result<LoginFailures>> EmbeddedStore::reserve_login_attempt(std::string key, uint32_t max,
                                                                 int64_t window_seconds) {
    co_return co_await submit(
        [&](EmbeddedState& s) { return s.reserve_login_attempt(key, max, window_seconds); });
}

Task<Done> EmbeddedStore::release_login_attempt(std::string key) {
    co_return co_await submit([&](EmbeddedState& s) { return s.release_login_attempt(key); });
}

Task<Done> EmbeddedStore::clear_login_failures(std::string key) {
    co_return co_await submit([&](EmbeddedState& s) { return s.clear_login_failures(key); });
}

Task<Done> EmbeddedStore::append_audit(AuditRecord record) {
    co_return co_await submit([&](EmbeddedState& s) { return s.append_audit(record); });
}

Task<Result<std::vector<AuditRecord>>> EmbeddedStore::audit_for(int64_t target_id) {
    co_return co_await submit([&](EmbeddedState& s) { return s.audit_for(target_id); });
}

Task<Result<int64_t>> EmbeddedStore::enqueue_mail(OutboxMail mail) {
    co_return co_await submit([&](EmbeddedState& s) { return s.enqueue_mail(std::move(mail)); });
}

Task<Result<std::vector<OutboxMail>>> EmbeddedStore::due_mail(int64_t now_us, size_t max) {
    co_return co_await submit([&](EmbeddedState& s) { return s.due_mail(now_us, max); });
}

Task<Done> EmbeddedStore::mail_sent(int64_t id) {
    co_return co_await submit([&](EmbeddedState& s) { return s.remove_mail(id); });
}

Task<Done> EmbeddedStore::mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us) {
    co_return co_await submit(
        [&](EmbeddedState& s) { return s.mail_retry(id, attempts, next_attempt_us); });
}

Task<Done> EmbeddedStore::mail_dropped(int64_t id) {
    co_return co_await submit([&](EmbeddedState& s) { return s.remove_mail(id); });
}

Task<Result<Session>> EmbeddedStore::find_session(std::string sid) {
    co_return co_await submit([&](EmbeddedState& s) { return s.find_session(sid); });
}

Task<Result<ValidationState>> EmbeddedStore::load_validation_state() {
    co_return co_await submit([](EmbeddedState& s) { return s.validation_state(); });
}

// The key ring is not journaled: it changes a few times a year, and a file of its own lets
// `authd keys rotate` and operators see it without replaying the journal.
bool EmbeddedStore::read_signing_keys_once() {
    if (signing_keys_read_) return true;
    std::string error;
    auto text = read_signing_keys_file(journal_->dir(), error);
    if (!text) {
        core::log_error("store", error);
        return false;
    }
    signing_keys_ = std::move(*text);
    signing_keys_read_ = true;
    return true;
}

Task<Result<std::string>> EmbeddedStore::load_signing_keys() {
    co_return co_await submit([this](EmbeddedState&) -> Result<std::string> {
        if (!read_signing_keys_once()) return Answer::unavailable;
        if (!signing_keys_) return Answer::not_found;
        return *signing_keys_;
    });
}

Task<Done> EmbeddedStore::replace_signing_keys(std::string expected, std::string sealed) {
    co_return co_await submit([this, &expected, &sealed](EmbeddedState&) -> Done {
        if (!read_signing_keys_once()) return Answer::unavailable;
        if (signing_keys_.value_or("") != expected) return Answer::refused;
        std::string error;
        if (!write_signing_keys_file(journal_->dir(), sealed, error)) {
            core::log_error("store", error);
            signing_keys_read_ = false;  // unknown what reached the disk: read it again
            return Answer::unavailable;
        }
        signing_keys_ = sealed;
        return Done{};
    });
}

Task<Done> EmbeddedStore::ping() {
    co_return co_await submit([](EmbeddedState& s) { return s.healthy(); });
}

void EmbeddedStore::append_metrics(std::string& out) const {
    EmbeddedStoreStats st = stats();
    auto gauge = [&out](const char* name, const char* help, uint64_t v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
               " " + std::to_string(v) + "\n";
    };
    gauge("authd_store_users", "Users in the embedded store.", st.users);
    gauge("authd_store_sessions", "Login sessions in the embedded store.", st.sessions);
    gauge("authd_store_outbox", "Mails waiting in the outbox.", st.outbox);
    gauge("authd_store_journal_bytes", "Size of the journal since the last snapshot.",
          st.journal_bytes);
    gauge("authd_store_snapshot_bytes", "Size of the last snapshot.", st.snapshot_bytes);
    gauge("authd_store_group_commits", "fdatasync calls that committed writes.", st.batches);
    gauge("authd_store_compactions", "Snapshots written.", st.compactions);
    gauge("authd_store_failed", "1 when a write failed to sync and the store refuses writes.",
          st.failed ? 1 : 0);
}

}  // namespace authd::store
