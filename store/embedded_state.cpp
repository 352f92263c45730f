// EmbeddedState: record application (shared by replay and live writes), snapshots, and the
// store operations with their uniqueness, rotation and outbox rules.
#include "store/embedded_state.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "store/case_fold.hpp"

namespace authd::store {
namespace {

// Timing-independent equality for refresh-token ids (their length is not secret).
bool same_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

EmbeddedState::EmbeddedState(Journal& journal, Clock clock)
    : journal_(journal), clock_(std::move(clock)) {}

// ---- record application -------------------------------------------------------------

bool EmbeddedState::apply_encoded(std::string_view bytes) {
    std::optional<Record> rec = decode_record(bytes);
    if (!rec) return false;
    std::visit([this](auto& r) { apply(std::move(r)); }, *rec);
    return true;
}

void EmbeddedState::apply(MetaRecord&& r) {
    next_user_id_ = std::max(next_user_id_, r.next_user_id);
    next_mail_id_ = std::max(next_mail_id_, r.next_mail_id);
}

void EmbeddedState::apply_user(User&& user) {
    next_user_id_ = std::max(next_user_id_, user.id + 1);
    users_.put(std::move(user));
}

void EmbeddedState::apply(UserCreateRecord&& r) {
    apply_user(std::move(r.user));
    if (r.mail) apply(MailPutRecord{std::move(*r.mail)});
}

void EmbeddedState::apply(UserPutRecord&& r) {
    apply_user(std::move(r.user));
}

void EmbeddedState::apply(UserDeleteRecord&& r) {
    users_.erase(r.id);
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.user_id == r.id; });
}

void EmbeddedState::apply(SessionPutRecord&& r) {
    std::string sid = r.session.sid;
    sessions_[std::move(sid)] = std::move(r.session);
}

void EmbeddedState::apply(AuditAppendRecord&& r) {
    audits_by_target_[r.audit.target_id].push_back(audits_.size());
    audits_.push_back(std::move(r.audit));
}

void EmbeddedState::apply(MailPutRecord&& r) {
    next_mail_id_ = std::max(next_mail_id_, r.mail.id + 1);
    auto it = mails_.find(r.mail.id);
    if (it != mails_.end()) mail_due_.erase({it->second.next_attempt_us, it->first});
    mail_due_.insert({r.mail.next_attempt_us, r.mail.id});
    int64_t id = r.mail.id;
    mails_[id] = std::move(r.mail);
}

void EmbeddedState::apply(MailRetryRecord&& r) {
    auto it = mails_.find(r.id);
    if (it == mails_.end()) return;
    mail_due_.erase({it->second.next_attempt_us, r.id});
    it->second.attempts = r.attempts;
    it->second.next_attempt_us = r.next_attempt_us;
    mail_due_.insert({r.next_attempt_us, r.id});
}

void EmbeddedState::apply(MailDeleteRecord&& r) {
    auto it = mails_.find(r.id);
    if (it == mails_.end()) return;
    mail_due_.erase({it->second.next_attempt_us, r.id});
    mails_.erase(it);
}

void EmbeddedState::write_snapshot(RecordSink& sink) {
    int64_t now = now_s();
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires_at <= now; });
    std::string buf;
    encode_meta(buf, MetaRecord{next_user_id_, next_mail_id_});
    sink.add(buf);
    users_.for_each([&](const User& u) {
        encode_user_put(buf, u);
        sink.add(buf);
    });
    for (const auto& [sid, s] : sessions_) {
        encode_session_put(buf, s);
        sink.add(buf);
    }
    for (const AuditRecord& a : audits_) {
        encode_audit(buf, a);
        sink.add(buf);
    }
    for (const auto& [id, m] : mails_) {
        encode_mail_put(buf, m);
        sink.add(buf);
    }
}

// ---- users ----------------------------------------------------------------------------

Result<CreateUserResult> EmbeddedState::create_user(User user, MailComposer& compose) {
    CreateUserResult result;
    result.username_taken = users_.find_by_username(fold_case(user.username)) != nullptr;
    result.email_taken = users_.find_by_email(fold_case(user.email)) != nullptr;
    if (result.username_taken || result.email_taken) return {Answer::refused, result};
    user.id = next_user_id_;
    user.created_at_us = user.updated_at_us = now_us();
    std::optional<OutboxMail> mail;
    if (compose) mail = compose(user);
    if (mail) {
        mail->id = next_mail_id_;
        mail->attempts = 0;
    }
    encode_user_create(scratch_, user, mail ? &*mail : nullptr);
    if (!append_scratch()) return Answer::unavailable;
    result.user = user;
    apply(UserCreateRecord{std::move(user), std::move(mail)});
    return result;
}

namespace {
Result<User> found(const User* u) {
    if (!u) return Answer::not_found;
    return *u;
}
}  // namespace

Result<User> EmbeddedState::find_user(int64_t id) const {
    return found(users_.find(id));
}

Result<User> EmbeddedState::find_user_by_username(std::string_view username) const {
    return found(users_.find_by_username(fold_case(username)));
}

Result<User> EmbeddedState::find_user_by_email(std::string_view email) const {
    return found(users_.find_by_email(fold_case(email)));
}

Result<User> EmbeddedState::update_user(int64_t id, const UserPatch& p) {
    const User* current = users_.find(id);
    if (!current) return Answer::not_found;
    if (p.if_password_hash && current->password_hash != *p.if_password_hash) return Answer::refused;
    if (p.if_token_version && current->token_version != *p.if_token_version) return Answer::refused;
    const bool more_than_login = patch_changes_more_than_login(p);
    if (!more_than_login && !p.last_login_us) return *current;  // nothing to change
    if (p.email) {
        const User* owner = users_.find_by_email(fold_case(*p.email));
        if (owner && owner->id != id) return Answer::refused;  // taken by another user
    }
    User u = *current;
    if (p.email) u.email = *p.email;
    if (p.first_name) u.first_name = *p.first_name;
    if (p.last_name) u.last_name = *p.last_name;
    if (p.phone_number) u.phone_number = *p.phone_number;
    if (p.address) u.address = *p.address;
    if (p.password_hash) u.password_hash = *p.password_hash;
    if (p.role) u.role = *p.role;
    if (p.is_active) u.is_active = *p.is_active;
    if (p.email_verified) u.email_verified = *p.email_verified;
    if (p.last_login_us) u.last_login_us = *p.last_login_us;
    if (p.bump_token_version) ++u.token_version;
    // Django's update_last_login saves last_login alone, leaving updated_at as it was.
    if (more_than_login) u.updated_at_us = now_us();
    encode_user_put(scratch_, u);
    if (!append_scratch()) return Answer::unavailable;
    apply_user(User(u));
    return u;
}

Done EmbeddedState::delete_user(int64_t id, DeleteIf when) {
    const User* u = users_.find(id);
    if (!u) return Answer::not_found;
    if (when == DeleteIf::pending && u->is_active) return Answer::refused;
    encode_user_delete(scratch_, id);
    if (!append_scratch()) return Answer::unavailable;
    apply(UserDeleteRecord{id});
    return {};
}

// ---- sessions -------------------------------------------------------------------------

const Session* EmbeddedState::live_session(const std::string& sid) const {
    auto it = sessions_.find(sid);
    if (it == sessions_.end() || it->second.expires_at <= now_s()) return nullptr;
    return &it->second;
}

Done EmbeddedState::create_session(const Session& s) {
    if (s.sid.empty() || sessions_.count(s.sid) || !users_.find(s.user_id)) return Answer::refused;
    encode_session_put(scratch_, s);
    if (!append_scratch()) return Answer::unavailable;
    apply(SessionPutRecord{s});
    return {};
}

Result<RotateResult> EmbeddedState::rotate_refresh(const std::string& sid,
                                                   std::string_view presented,
                                                   const std::string& new_jti,
                                                   int64_t new_expires_at) {
    const Session* s = live_session(sid);
    if (!s) return Answer::not_found;
    RotateResult result{RotateStatus::revoked, s->user_id, s->expires_at};
    if (s->revoked) return result;
    Session next = *s;
    if (same_secret(presented, s->refresh_jti)) {
        next.refresh_jti = new_jti;
        next.expires_at = new_expires_at;
        result = {RotateStatus::rotated, s->user_id, new_expires_at};
    } else {
        // An older token of this session: it was stolen or replayed, so end the session.
        next.revoked = true;
        result.status = RotateStatus::reused;
    }
    encode_session_put(scratch_, next);
    if (!append_scratch()) return Answer::unavailable;
    apply(SessionPutRecord{std::move(next)});
    return result;
}

Result<RevokeResult> EmbeddedState::revoke_session(const std::string& sid) {
    const Session* s = live_session(sid);
    if (!s) return Answer::not_found;
    RevokeResult result{true, s->user_id, s->expires_at};
    if (s->revoked) return result;
    Session next = *s;
    next.revoked = true;
    encode_session_put(scratch_, next);
    if (!append_scratch()) return Answer::unavailable;
    apply(SessionPutRecord{std::move(next)});
    return result;
}

// ---- login throttling (memory only) -----------------------------------------------------

namespace {
int64_t seconds_left(int64_t ends_us, int64_t now_us) {
    return std::max<int64_t>((ends_us - now_us + 999999) / 1000000, 0);
}
}  // namespace

Result<LoginFailures> EmbeddedState::login_failures(const std::string& key) {
    auto it = failures_.find(key);
    if (it == failures_.end()) return LoginFailures{};
    int64_t now = now_us();
    if (it->second.ends_us <= now) {
        failures_.erase(it);
        return LoginFailures{};
    }
    return LoginFailures{it->second.count, seconds_left(it->second.ends_us, now)};
}

Result<LoginFailures> EmbeddedState::reserve_login_attempt(const std::string& key, uint32_t max,
                                                           int64_t window_seconds) {
    int64_t now = now_us();
    if (failures_.size() >= failures_sweep_at_) prune_failures(now);
    FailureWindow& w = failures_[key];
    if (w.ends_us <= now) w = {0, now + std::max<int64_t>(window_seconds, 1) * 1000000};
    LoginFailures f{w.count, seconds_left(w.ends_us, now)};
    if (w.count >= max) return {Answer::refused, f};
    f.count = ++w.count;
    return f;
}

Done EmbeddedState::release_login_attempt(const std::string& key) {
    auto it = failures_.find(key);
    if (it != failures_.end() && it->second.count > 0 && --it->second.count == 0)
        failures_.erase(it);
    return {};
}

// Amortised O(1): sweep only when the map has doubled since the last sweep.
void EmbeddedState::prune_failures(int64_t now) {
    std::erase_if(failures_, [&](const auto& kv) { return kv.second.ends_us <= now; });
    failures_sweep_at_ = std::max<size_t>(1024, failures_.size() * 2);
}

// ---- audit ----------------------------------------------------------------------------

Done EmbeddedState::append_audit(const AuditRecord& record) {
    encode_audit(scratch_, record);
    if (!append_scratch()) return Answer::unavailable;
    apply(AuditAppendRecord{record});
    return {};
}

Result<std::vector<AuditRecord>> EmbeddedState::audit_for(int64_t target_id) const {
    std::vector<AuditRecord> out;
    auto it = audits_by_target_.find(target_id);
    if (it == audits_by_target_.end()) return out;
    out.reserve(it->second.size());
    for (size_t i : it->second) out.push_back(audits_[i]);
    return out;
}

// ---- mail outbox ------------------------------------------------------------------------

Result<int64_t> EmbeddedState::enqueue_mail(OutboxMail mail) {
    mail.id = next_mail_id_;
    encode_mail_put(scratch_, mail);
    if (!append_scratch()) return Answer::unavailable;
    int64_t id = mail.id;
    apply(MailPutRecord{std::move(mail)});
    return id;
}

Result<std::vector<OutboxMail>> EmbeddedState::due_mail(int64_t now, size_t max) const {
    std::vector<OutboxMail> out;
    for (auto it = mail_due_.begin(); it != mail_due_.end() && out.size() < max; ++it) {
        if (it->first > now) break;
        out.push_back(mails_.at(it->second));
    }
    return out;
}

Done EmbeddedState::remove_mail(int64_t id) {
    if (!mails_.count(id)) return Answer::not_found;
    encode_mail_delete(scratch_, id);
    if (!append_scratch()) return Answer::unavailable;
    apply(MailDeleteRecord{id});
    return {};
}

Done EmbeddedState::mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us) {
    if (!mails_.count(id)) return Answer::not_found;
    encode_mail_retry(scratch_, id, attempts, next_attempt_us);
    if (!append_scratch()) return Answer::unavailable;
    apply(MailRetryRecord{id, attempts, next_attempt_us});
    return {};
}

// ---- validation -------------------------------------------------------------------------

Result<ValidationState> EmbeddedState::validation_state() const {
    ValidationState v;
    v.token_versions.reserve(users_.size());
    users_.for_each([&](const User& u) { v.token_versions.emplace_back(u.id, u.token_version); });
    int64_t now = now_s();
    for (const auto& [sid, s] : sessions_) {
        if (s.revoked && s.expires_at > now) v.revoked_sessions.emplace_back(sid, s.expires_at);
    }
    return v;
}

}  // namespace authd::store
