// One dumpdata object → an authd user: which objects are users (fields with username and
// password), the field mapping, and the checks that make a record malformed or skipped.
#pragma once
#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "store/types.hpp"

namespace authd::tools {

struct DjangoImportOptions {
    bool staff_as_agent = false;  // is_staff (without a role field) → AGENT
};

struct DjangoRecord {
    enum class Kind { not_a_user, user, skip, malformed } kind = Kind::not_a_user;
    std::string pk;      // as written in the dump (for messages)
    std::string reason;  // malformed / skip: why
    store::User user;    // kind == user
};

// `object` holds one element of the dump (from DjangoDumpReader); parsed with `parser`.
DjangoRecord convert_django_record(simdjson::dom::parser& parser, const std::string& object,
                                   const DjangoImportOptions& options);

// Django's serialized datetimes: "YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]" (naive = UTC), to
// microseconds since the epoch.
std::optional<int64_t> parse_django_datetime(std::string_view text);

}  // namespace authd::tools
