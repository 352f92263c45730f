// The binary records of the embedded store's journal and snapshot: one tagged record per
// change (fixed-width little-endian integers, u32-length-prefixed strings).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "store/types.hpp"

namespace authd::store {

enum class RecordType : uint8_t {
    meta = 1,         // id counters (snapshots only: journals advance them implicitly)
    user_create = 2,  // a new user and, atomically with it, its first mail
    user_put = 3,     // a user's full new state
    user_delete = 4,  // a user and all their sessions
    session_put = 5,  // a session's full new state (create, rotate, revoke)
    audit = 6,
    mail_put = 7,
    mail_retry = 8,
    mail_delete = 9,  // sent or dropped
};

struct MetaRecord {
    int64_t next_user_id = 1;
    int64_t next_mail_id = 1;
};
struct UserCreateRecord {
    User user;
    std::optional<OutboxMail> mail;
};
struct UserPutRecord {
    User user;
};
struct UserDeleteRecord {
    int64_t id = 0;
};
struct SessionPutRecord {
    Session session;
};
struct AuditAppendRecord {
    AuditRecord audit;
};
struct MailPutRecord {
    OutboxMail mail;
};
struct MailRetryRecord {
    int64_t id = 0;
    uint32_t attempts = 0;
    int64_t next_attempt_us = 0;
};
struct MailDeleteRecord {
    int64_t id = 0;
};

using Record =
    std::variant<MetaRecord, UserCreateRecord, UserPutRecord, UserDeleteRecord, SessionPutRecord,
                 AuditAppendRecord, MailPutRecord, MailRetryRecord, MailDeleteRecord>;

// Each encoder replaces the contents of `out` with one record.
void encode_meta(std::string& out, const MetaRecord& m);
void encode_user_create(std::string& out, const User& user, const OutboxMail* mail);
void encode_user_put(std::string& out, const User& user);
void encode_user_delete(std::string& out, int64_t id);
void encode_session_put(std::string& out, const Session& session);
void encode_audit(std::string& out, const AuditRecord& audit);
void encode_mail_put(std::string& out, const OutboxMail& mail);
void encode_mail_retry(std::string& out, int64_t id, uint32_t attempts, int64_t next_attempt_us);
void encode_mail_delete(std::string& out, int64_t id);

// nullopt when the bytes are not exactly one well-formed record.
std::optional<Record> decode_record(std::string_view bytes);

}  // namespace authd::store
