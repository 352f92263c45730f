// Store: the one storage interface (DESIGN.md §6) with two backends, embedded and Redis.
// Every method is called on a loop thread and its Task resumes on that same loop. Every
// answer is a Result (store/result.hpp): ok, not_found, refused (a precondition did not
// hold; nothing changed) or unavailable (no answer: down, timed out, a write that could not
// be made durable). A write answers ok only once it is durable.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/task.hpp"
#include "core/unique_function.hpp"
#include "store/result.hpp"
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
    // A user imported (authd import-django) at token version 0, whose Django tokens validate
    // as theirs: `username` and `role` are what validation answers with.
    virtual void on_imported_user(int64_t user_id, Role role, const std::string& username) {
        (void)role;
        (void)username;
        on_token_version(user_id, 0);
    }
    // After a reconnect: the full state, replacing what the loops hold.
    virtual void on_resync(const ValidationState& state) = 0;
};

class Store {
  public:
    virtual ~Store() = default;

    // Optional: the embedded store serves one process and never calls it.
    virtual void set_change_listener(ChangeListener*) {}

    // Users. Lookups by username/email are case-insensitive; not_found when absent.
    // create_user assigns id, created_at and updated_at, and queues the composed mail in
    // the same durable write. refused on a clash: the detail's taken flags say which, and
    // nothing is written.
    virtual Task<Result<CreateUserResult>> create_user(User user, MailComposer mail) = 0;
    virtual Task<Result<User>> find_user(int64_t id) = 0;
    virtual Task<Result<User>> find_user_by_username(std::string username) = 0;
    virtual Task<Result<User>> find_user_by_email(std::string email) = 0;
    // not_found: no such user. refused: patch.if_password_hash no longer holds, or
    // patch.email belongs to another user (case-insensitively; look it up first with
    // find_user_by_email to answer with a field error). Sets updated_at unless the patch
    // sets last_login_us alone (as Django's update_last_login).
    virtual Task<Result<User>> update_user(int64_t id, UserPatch patch) = 0;
    // Drops the user's sessions too. not_found: no such user. refused: `when` is
    // DeleteIf::pending and the user is active (checked in the same atomic step).
    virtual Task<Done> delete_user(int64_t id, DeleteIf when = DeleteIf::always) = 0;
    virtual Task<Result<UserPage>> list_users(UserQuery query) = 0;
    virtual Task<Result<size_t>> count_users() = 0;
    // Bulk import (authd import-django): each user keeps its id, created_at, updated_at and
    // last_login; one whose id, username or email is already present (or earlier in the same
    // batch) is skipped. New ids continue above the highest imported one. One durable write
    // per call (embedded: one journal sync; Redis: one script). With dry_run nothing is
    // written. ok: one status per user, in order (never `failed`).
    virtual Task<Result<std::vector<ImportStatus>>> import_users(std::vector<User> /*users*/,
                                                                 bool /*dry_run*/) {
        co_return Answer::unavailable;
    }

    // Sessions. create_session: refused when the sid exists or the user does not.
    virtual Task<Done> create_session(Session session) = 0;
    // not_found (status `unknown`): no such session, or it expired.
    virtual Task<Result<RotateResult>> rotate_refresh(std::string sid, std::string presented_jti,
                                                      std::string new_jti,
                                                      int64_t new_expires_at) = 0;
    // not_found: no such live session (ok also when it was already revoked).
    virtual Task<Result<RevokeResult>> revoke_session(std::string sid) = 0;
    // A live (unexpired) session, revoked or not. not_found: none (unknown or expired).
    virtual Task<Result<Session>> find_session(std::string sid) = 0;

    // Login throttling, counted in fixed windows of window_seconds from the first failure.
    // (The embedded backend keeps these in memory only: a restart forgets them.)
    // reserve_login_attempt counts one attempt atomically before the password is checked:
    // ok (the detail's count includes it) while fewer than `max` are counted, else refused
    // with retry_after. The attempt stays counted as a failure unless released.
    virtual Task<Result<LoginFailures>> login_failures(std::string key) = 0;
    virtual Task<Result<LoginFailures>> reserve_login_attempt(std::string key, uint32_t max,
                                                              int64_t window_seconds) = 0;
    virtual Task<Done> release_login_attempt(std::string key) = 0;  // it was not a failure
    virtual Task<Done> clear_login_failures(std::string key) = 0;

    // Audit trail.
    virtual Task<Done> append_audit(AuditRecord record) = 0;
    virtual Task<Result<std::vector<AuditRecord>>> audit_for(int64_t target_id) = 0;

    // Durable mail outbox. enqueue_mail answers the new mail's id. mail_sent, mail_retry and
    // mail_dropped answer not_found when there is no such mail (any more).
    virtual Task<Result<int64_t>> enqueue_mail(OutboxMail mail) = 0;
    virtual Task<Result<std::vector<OutboxMail>>> due_mail(int64_t now_us, size_t max) = 0;
    virtual Task<Done> mail_sent(int64_t id) = 0;
    virtual Task<Done> mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us) = 0;
    virtual Task<Done> mail_dropped(int64_t id) = 0;  // gave up after too many attempts

    // The state validation needs in memory (loaded at start and after reconnects).
    virtual Task<Result<ValidationState>> load_validation_state() = 0;

    // Health: ok when the store answers and can write (GET /readyz).
    // The sealed signing-key ring (auth/key_ring.hpp), an opaque blob here. not_found: there
    // is none yet; unavailable: the store did not answer.
    virtual Task<Result<std::string>> load_signing_keys() = 0;
    // Compare-and-set: replaces the ring only while it still is `expected` ("" for none), so
    // two instances rotating at once never lose a key. refused: it changed meanwhile.
    virtual Task<Done> replace_signing_keys(std::string expected, std::string sealed) = 0;

    virtual Task<Done> ping() = 0;

    // Prometheus text lines about the store (any thread).
    virtual void append_metrics(std::string& /*out*/) const {}

    // Synchronous, off-loop: flush and close at shutdown (after the loops stopped).
    virtual void close() = 0;
};

}  // namespace authd::store
