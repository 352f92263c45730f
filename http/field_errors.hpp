// FieldErrors + FieldReader: DRF serializer semantics over BodyFields — required fields,
// "Not a valid string.", blank and null rules, trimming — collecting every error so the
// 400 body lists them all like DRF does: {"field": ["message", ...], ...}.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/body_fields.hpp"
#include "http/response.hpp"

namespace authd::http {

class FieldErrors {
  public:
    void add(std::string_view field, std::string message);
    void add_all(std::string_view field, const std::vector<std::string>& messages);
    bool empty() const { return errors_.empty(); }
    bool has(std::string_view field) const;
    Response to_response(int status = 400) const;
    const std::vector<std::pair<std::string, std::vector<std::string>>>& entries() const {
        return errors_;
    }

  private:
    std::vector<std::pair<std::string, std::vector<std::string>>> errors_;  // in first-error order
};

struct StringRule {
    bool required = true;
    bool allow_blank = false;
    bool trim = true;       // DRF CharField trims by default; passwords do not
    size_t max_length = 0;  // in characters; 0: no limit checked here
};

class FieldReader {
  public:
    FieldReader(const BodyFields& fields, FieldErrors& errors) : fields_(fields), errors_(errors) {}

    // nullopt when missing (and not required), or invalid (error recorded).
    std::optional<std::string> string(std::string_view name, StringRule rule = {});
    // DRF BooleanField: true/false, "true"/"false", "1"/"0", 1/0, "yes"/"no", "on"/"off".
    std::optional<bool> boolean(std::string_view name, bool required = false);
    bool present(std::string_view name) const { return fields_.find(name) != nullptr; }

  private:
    const BodyFields& fields_;
    FieldErrors& errors_;
};

inline constexpr std::string_view msg_required = "This field is required.";
inline constexpr std::string_view msg_blank = "This field may not be blank.";
inline constexpr std::string_view msg_null = "This field may not be null.";
inline constexpr std::string_view msg_not_string = "Not a valid string.";
inline constexpr std::string_view msg_not_bool = "Must be a valid boolean.";

}  // namespace authd::http
