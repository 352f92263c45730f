// EmbeddedState: the embedded store's whole data set in memory and the operations on it.
// Owned by the store's writer thread alone (no locks anywhere). Every change is first
// encoded as a record and appended to the journal, then applied with the same apply_*
// function that replay uses, so a replayed store equals the live one.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/journal.hpp"
#include "store/record_codec.hpp"
#include "store/store.hpp"
#include "store/types.hpp"
#include "store/user_table.hpp"

namespace authd::store {

class EmbeddedState {
  public:
    using Clock = std::function<int64_t()>;  // wall clock, microseconds since the epoch

    EmbeddedState(Journal& journal, Clock clock);

    // Replay: applies one encoded record; false when it is malformed.
    bool apply_encoded(std::string_view bytes);
    // Compaction: drops expired sessions, then adds every live record to `sink`.
    void write_snapshot(RecordSink& sink);

    // The operations behind Store (same contracts and answers, documented in store.hpp). A
    // write whose record cannot be appended (journal failed, record too large) changes
    // nothing; EmbeddedStore then answers unavailable (take_write_refused).
    Result<CreateUserResult> create_user(User user, MailComposer& mail);
    Result<User> find_user(int64_t id) const;
    Result<User> find_user_by_username(std::string_view username) const;
    Result<User> find_user_by_email(std::string_view email) const;
    Result<User> update_user(int64_t id, const UserPatch& patch);
    Done delete_user(int64_t id, DeleteIf when);
    Result<UserPage> list_users(const UserQuery& query) const { return users_.list(query); }
    Result<size_t> count_users() const { return users_.size(); }

    Done create_session(const Session& session);
    Result<RotateResult> rotate_refresh(const std::string& sid, std::string_view presented_jti,
                                        const std::string& new_jti, int64_t new_expires_at);
    Result<RevokeResult> revoke_session(const std::string& sid);
    Result<Session> find_session(const std::string& sid) const {
        const Session* s = live_session(sid);
        if (!s) return Answer::not_found;
        return *s;
    }

    // Memory only, never journaled: a restart forgets the windows (they last minutes).
    Result<LoginFailures> login_failures(const std::string& key);
    Result<LoginFailures> reserve_login_attempt(const std::string& key, uint32_t max,
                                                int64_t window_seconds);
    Done release_login_attempt(const std::string& key);
    Done clear_login_failures(const std::string& key) {
        failures_.erase(key);
        return {};
    }

    Done append_audit(const AuditRecord& record);
    Result<std::vector<AuditRecord>> audit_for(int64_t target_id) const;

    Result<int64_t> enqueue_mail(OutboxMail mail);
    Result<std::vector<OutboxMail>> due_mail(int64_t now_us, size_t max) const;
    Done remove_mail(int64_t id);  // sent or dropped
    Done mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us);

    Result<ValidationState> validation_state() const;
    Done healthy() const { return journal_.failed() ? Answer::unavailable : Answer::ok; }

    size_t user_count() const { return users_.size(); }
    size_t session_count() const { return sessions_.size(); }
    size_t outbox_size() const { return mails_.size(); }
    size_t audit_count() const { return audits_.size(); }
    size_t login_failure_keys() const { return failures_.size(); }
    int64_t next_user_id() const { return next_user_id_; }

    // Whether a write since the last call was refused by the journal (failed disk): the
    // store reports such an operation as unanswered, not as "nothing there".
    bool take_write_refused() { return std::exchange(write_refused_, false); }

  private:
    struct FailureWindow {
        uint32_t count = 0;
        int64_t ends_us = 0;
    };

    int64_t now_us() const { return clock_(); }
    int64_t now_s() const { return clock_() / 1000000; }
    bool append_scratch() {
        if (journal_.append(scratch_)) return true;
        write_refused_ = true;
        return false;
    }
    const Session* live_session(const std::string& sid) const;

    void apply(MetaRecord&& r);
    void apply(UserCreateRecord&& r);
    void apply(UserPutRecord&& r);
    void apply(UserDeleteRecord&& r);
    void apply(SessionPutRecord&& r);
    void apply(AuditAppendRecord&& r);
    void apply(MailPutRecord&& r);
    void apply(MailRetryRecord&& r);
    void apply(MailDeleteRecord&& r);
    void apply_user(User&& user);
    void prune_failures(int64_t now);

    Journal& journal_;
    Clock clock_;
    std::string scratch_;  // the record being encoded (reused to avoid allocating)
    bool write_refused_ = false;

    int64_t next_user_id_ = 1;  // never decreases: ids are not reused after deletes
    int64_t next_mail_id_ = 1;
    UserTable users_;
    std::unordered_map<std::string, Session> sessions_;  // by sid, until expired and compacted
    std::vector<AuditRecord> audits_;                    // in append order
    std::unordered_map<int64_t, std::vector<size_t>> audits_by_target_;
    std::map<int64_t, OutboxMail> mails_;             // by id
    std::set<std::pair<int64_t, int64_t>> mail_due_;  // (next_attempt_us, id)
    std::unordered_map<std::string, FailureWindow> failures_;
    size_t failures_sweep_at_ = 1024;
};

}  // namespace authd::store
