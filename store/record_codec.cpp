// Record encoding and bounds-checked decoding.
#include "store/record_codec.hpp"

#include <cstring>

namespace authd::store {
namespace {

class Writer {
  public:
    explicit Writer(std::string& out, RecordType type) : out_(out) {
        out_.clear();
        u8(static_cast<uint8_t>(type));
    }
    void u8(uint8_t v) { out_ += static_cast<char>(v); }
    void u32(uint32_t v) {
        for (int i = 0; i < 4; ++i) out_ += static_cast<char>(v >> (8 * i));
    }
    void i64(int64_t v) {
        auto u = static_cast<uint64_t>(v);
        for (int i = 0; i < 8; ++i) out_ += static_cast<char>(u >> (8 * i));
    }
    void str(std::string_view s) {
        u32(static_cast<uint32_t>(s.size()));
        out_.append(s);
    }

  private:
    std::string& out_;
};

// Every read past the end yields a zero value and clears ok(); callers check ok() once.
class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}
    uint8_t u8() { return need(1) ? static_cast<uint8_t>(in_[pos_++]) : 0; }
    uint32_t u32() {
        if (!need(4)) return 0;
        uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in_[pos_ + i]);
        pos_ += 4;
        return v;
    }
    int64_t i64() {
        if (!need(8)) return 0;
        uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in_[pos_ + i]);
        pos_ += 8;
        return static_cast<int64_t>(v);
    }
    std::string str() {
        uint32_t n = u32();
        if (!need(n)) return {};
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    bool boolean() {
        uint8_t v = u8();
        if (v > 1) ok_ = false;
        return v == 1;
    }
    bool ok() const { return ok_; }
    bool finished() const { return ok_ && pos_ == in_.size(); }
    void fail() { ok_ = false; }

  private:
    bool need(size_t n) {
        if (!ok_ || in_.size() - pos_ < n) {
            ok_ = false;
            return false;
        }
        return true;
    }
    std::string_view in_;
    size_t pos_ = 0;
    bool ok_ = true;
};

void write_user(Writer& w, const User& u) {
    w.i64(u.id);
    w.str(u.username);
    w.str(u.email);
    w.str(u.first_name);
    w.str(u.last_name);
    w.str(u.phone_number);
    w.str(u.address);
    w.u8(static_cast<uint8_t>(u.role));
    w.u8(u.is_active ? 1 : 0);
    w.u8(u.email_verified ? 1 : 0);
    w.str(u.password_hash);
    w.i64(u.last_login_us);
    w.i64(u.created_at_us);
    w.i64(u.updated_at_us);
    w.u32(u.token_version);
}

User read_user(Reader& r) {
    User u;
    u.id = r.i64();
    u.username = r.str();
    u.email = r.str();
    u.first_name = r.str();
    u.last_name = r.str();
    u.phone_number = r.str();
    u.address = r.str();
    uint8_t role = r.u8();
    if (role > static_cast<uint8_t>(Role::super_user)) r.fail();
    u.role = static_cast<Role>(role);
    u.is_active = r.boolean();
    u.email_verified = r.boolean();
    u.password_hash = r.str();
    u.last_login_us = r.i64();
    u.created_at_us = r.i64();
    u.updated_at_us = r.i64();
    u.token_version = r.u32();
    return u;
}

void write_mail(Writer& w, const OutboxMail& m) {
    w.i64(m.id);
    w.str(m.to);
    w.str(m.subject);
    w.str(m.text_body);
    w.str(m.html_body);
    w.u32(m.attempts);
    w.i64(m.next_attempt_us);
}

OutboxMail read_mail(Reader& r) {
    OutboxMail m;
    m.id = r.i64();
    m.to = r.str();
    m.subject = r.str();
    m.text_body = r.str();
    m.html_body = r.str();
    m.attempts = r.u32();
    m.next_attempt_us = r.i64();
    return m;
}

std::optional<Record> read_body(RecordType type, Reader& r) {
    switch (type) {
        case RecordType::meta: {
            MetaRecord m;
            m.next_user_id = r.i64();
            m.next_mail_id = r.i64();
            return m;
        }
        case RecordType::user_create: {
            UserCreateRecord c;
            c.user = read_user(r);
            if (r.boolean()) c.mail = read_mail(r);
            return c;
        }
        case RecordType::user_put:
            return UserPutRecord{read_user(r)};
        case RecordType::user_delete:
            return UserDeleteRecord{r.i64()};
        case RecordType::session_put: {
            SessionPutRecord s;
            s.session.sid = r.str();
            s.session.user_id = r.i64();
            s.session.refresh_jti = r.str();
            s.session.expires_at = r.i64();
            s.session.revoked = r.boolean();
            return s;
        }
        case RecordType::audit: {
            AuditAppendRecord a;
            a.audit.at_us = r.i64();
            a.audit.actor_id = r.i64();
            a.audit.target_id = r.i64();
            a.audit.action = r.str();
            a.audit.reason = r.str();
            return a;
        }
        case RecordType::mail_put:
            return MailPutRecord{read_mail(r)};
        case RecordType::mail_retry: {
            MailRetryRecord m;
            m.id = r.i64();
            m.attempts = r.u32();
            m.next_attempt_us = r.i64();
            return m;
        }
        case RecordType::mail_delete:
            return MailDeleteRecord{r.i64()};
    }
    return std::nullopt;
}

}  // namespace

void encode_meta(std::string& out, const MetaRecord& m) {
    Writer w(out, RecordType::meta);
    w.i64(m.next_user_id);
    w.i64(m.next_mail_id);
}

void encode_user_create(std::string& out, const User& user, const OutboxMail* mail) {
    Writer w(out, RecordType::user_create);
    write_user(w, user);
    w.u8(mail ? 1 : 0);
    if (mail) write_mail(w, *mail);
}

void encode_user_put(std::string& out, const User& user) {
    Writer w(out, RecordType::user_put);
    write_user(w, user);
}

void encode_user_delete(std::string& out, int64_t id) {
    Writer w(out, RecordType::user_delete);
    w.i64(id);
}

void encode_session_put(std::string& out, const Session& s) {
    Writer w(out, RecordType::session_put);
    w.str(s.sid);
    w.i64(s.user_id);
    w.str(s.refresh_jti);
    w.i64(s.expires_at);
    w.u8(s.revoked ? 1 : 0);
}

void encode_audit(std::string& out, const AuditRecord& a) {
    Writer w(out, RecordType::audit);
    w.i64(a.at_us);
    w.i64(a.actor_id);
    w.i64(a.target_id);
    w.str(a.action);
    w.str(a.reason);
}

void encode_mail_put(std::string& out, const OutboxMail& mail) {
    Writer w(out, RecordType::mail_put);
    write_mail(w, mail);
}

void encode_mail_retry(std::string& out, int64_t id, uint32_t attempts, int64_t next_attempt_us) {
    Writer w(out, RecordType::mail_retry);
    w.i64(id);
    w.u32(attempts);
    w.i64(next_attempt_us);
}

void encode_mail_delete(std::string& out, int64_t id) {
    Writer w(out, RecordType::mail_delete);
    w.i64(id);
}

std::optional<Record> decode_record(std::string_view bytes) {
    if (bytes.empty()) return std::nullopt;
    auto tag = static_cast<uint8_t>(bytes[0]);
    if (tag < static_cast<uint8_t>(RecordType::meta) ||
        tag > static_cast<uint8_t>(RecordType::mail_delete)) {
        return std::nullopt;
    }
    Reader r(bytes.substr(1));
    std::optional<Record> rec = read_body(static_cast<RecordType>(tag), r);
    if (!r.finished()) return std::nullopt;
    return rec;
}

}  // namespace authd::store
