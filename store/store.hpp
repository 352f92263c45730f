// Store: the one storage interface (DESIGN.md §6) with two backends, embedded and Redis.
// Every method is called on a loop thread and its Task resumes on that same loop.
// A write's Task completes only once the write is durable. A write that cannot be made
// durable (failed fsync, full disk) returns its failure value: create_user a result with
// no user and neither taken flag, update_user nullopt, bool results false, enqueue_mail 0,
// rotate_refresh `unknown`, revoke_session {existed=false}; void results only log it.
#pragma once
#include <memory>
#include <string>

#include "core/task.hpp"
#include "core/unique_function.hpp"
#include "store/types.hpp"

namespace authd::store {

using core::Task;

// Builds the mail to queue atomically with a new user (e.g. the verification link needs
// the new id). Runs inside the store (on its thread) and only when the user is created;
// must not block.
using MailComposer = core::UniqueFunction<std::optional<OutboxMail>(const User&)>;

// Receives validation-state changes made by OTHER instances sharing the store (Redis
// pub/sub). Called on any thread; implementations forward to every loop.
class ChangeListener {
  public:
    virtual ~ChangeListener() = default;
    virtual void on_session_revoked(const std::string& sid, int64_t expires_at) = 0;
    virtual void on_token_version(int64_t user_id, uint32_t version) = 0;
    virtual void on_user_removed(int64_t user_id) = 0;
    // After a reconnect: the full state, replacing what the loops hold.
    virtual void on_resync(const ValidationState& state) = 0;
};

// Lookups answer nullopt (lists: nothing; writes: their failure value) both when there is
// nothing and when the store could not answer. This tells the two apart for the store call
// this thread awaited last: read it right after that co_await returns, before awaiting
// anything else (a loop thread runs one coroutine at a time, so nothing can come between).
bool last_call_failed();
void set_last_call_failed(bool failed);  // backends: as each call completes, on the caller's thread

class Store {
  public:
    virtual ~Store() = default;

    // Optional: the embedded store serves one process and never calls it.
    virtual void set_change_listener(ChangeListener*) {}

    // Users. Lookups by username/email are case-insensitive.
    // create_user assigns id, created_at and updated_at, and queues the composed mail in
    // the same durable write; on a clash it reports both taken flags and writes nothing.
    virtual Task<CreateUserResult> create_user(User user, MailComposer mail) = 0;
    virtual Task<std::optional<User>> find_user(int64_t id) = 0;
    virtual Task<std::optional<User>> find_user_by_username(std::string username) = 0;
    virtual Task<std::optional<User>> find_user_by_email(std::string email) = 0;
    // nullopt: no such user, patch.if_password_hash no longer holds, or patch.email belongs
    // to another user (case-insensitively;
    // look it up first with find_user_by_email to answer with a field error). Sets
    // updated_at unless the patch sets last_login_us alone (as Django's update_last_login).
    virtual Task<std::optional<User>> update_user(int64_t id, UserPatch patch) = 0;
    virtual Task<bool> delete_user(int64_t id) = 0;  // false: no such user; drops their sessions
    virtual Task<UserPage> list_users(UserQuery query) = 0;
    virtual Task<size_t> count_users() = 0;

    // Sessions. create_session: false when the sid exists or the user does not.
    virtual Task<bool> create_session(Session session) = 0;
    virtual Task<RotateResult> rotate_refresh(std::string sid, std::string presented_jti,
                                              std::string new_jti, int64_t new_expires_at) = 0;
    virtual Task<RevokeResult> revoke_session(std::string sid) = 0;

    // Login throttling, counted in fixed windows of window_seconds from the first failure.
    // (The embedded backend keeps these in memory only: a restart forgets them.)
    virtual Task<LoginFailures> login_failures(std::string key) = 0;
    virtual Task<LoginFailures> record_login_failure(std::string key, int64_t window_seconds) = 0;
    virtual Task<void> clear_login_failures(std::string key) = 0;

    // Audit trail.
    virtual Task<bool> append_audit(AuditRecord record) = 0;
    virtual Task<std::vector<AuditRecord>> audit_for(int64_t target_id) = 0;

    // Durable mail outbox.
    virtual Task<int64_t> enqueue_mail(OutboxMail mail) = 0;  // returns the id (0 on failure)
    virtual Task<std::vector<OutboxMail>> due_mail(int64_t now_us, size_t max) = 0;
    virtual Task<void> mail_sent(int64_t id) = 0;
    virtual Task<void> mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us) = 0;
    virtual Task<void> mail_dropped(int64_t id) = 0;  // gave up after too many attempts

    // The state validation needs in memory (loaded at start and after reconnects).
    virtual Task<ValidationState> load_validation_state() = 0;

    // The sealed signing-key ring (auth/key_ring.hpp), an opaque blob here. nullopt: there
    // is none yet, or (last_call_failed) the store did not answer.
    virtual Task<std::optional<std::string>> load_signing_keys() = 0;
    // Compare-and-set: replaces the ring only while it still is `expected` ("" for none), so
    // two instances rotating at once never lose a key. false: it changed meanwhile, or
    // (last_call_failed) the write failed.
    virtual Task<bool> replace_signing_keys(std::string expected, std::string sealed) = 0;

    // Health: true when the store answers (GET /readyz).
    virtual Task<bool> ping() = 0;

    // Prometheus text lines about the store (any thread).
    virtual void append_metrics(std::string& /*out*/) const {}

    // Synchronous, off-loop: flush and close at shutdown (after the loops stopped).
    virtual void close() = 0;
};

}  // namespace authd::store
