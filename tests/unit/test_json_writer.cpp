// JsonWriter and append_json_escaped: escaping (quotes, backslashes, control characters,
// invalid UTF-8 → U+FFFD), comma placement in nested objects and arrays, and that every
// output is valid JSON (checked by parsing it back with simdjson).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "core/json_escape.hpp"
#include "core/utf8.hpp"
#include "http/json_writer.hpp"
#include "http/response.hpp"

namespace authd::http {
namespace {

std::string escaped(std::string_view s) {
    std::string out;
    core::append_json_escaped(out, s);
    return out;
}

// Parses `json` as a one-string document and returns the decoded string.
std::string round_trip(const std::string& inner) {
    std::string doc = "\"" + inner + "\"";
    simdjson::dom::parser parser;
    std::string_view v;
    auto err = parser.parse(doc).get_string().get(v);
    EXPECT_FALSE(err) << simdjson::error_message(err) << " in " << doc;
    return std::string(v);
}

TEST(JsonEscape, QuotesAndBackslashes) {
    EXPECT_EQ(escaped(R"(say "hi")"), R"(say \"hi\")");
    EXPECT_EQ(escaped(R"(C:\path\)"), R"(C:\\path\\)");
    EXPECT_EQ(escaped(R"(\")"), R"(\\\")");
    EXPECT_EQ(escaped("/"), "/");  // solidus needs no escape
    EXPECT_EQ(escaped(""), "");
}

TEST(JsonEscape, ControlCharacters) {
    EXPECT_EQ(escaped("a\nb\rc\td\be\ff"), R"(a\nb\rc\td\be\ff)");
    EXPECT_EQ(escaped(std::string("\0", 1)), R"(\u0000)");
    EXPECT_EQ(escaped("\x01\x1f"), R"(\u0001\u001f)");
    EXPECT_EQ(escaped("\x7f"), R"(\u007f)");
    EXPECT_EQ(escaped("\x20~"), " ~");
    for (int c = 0; c < 0x20; ++c) {
        std::string s(1, static_cast<char>(c));
        EXPECT_EQ(round_trip(escaped(s)), s) << c;
    }
}

TEST(JsonEscape, ValidUtf8PassesThrough) {
    const std::string samples[] = {
        "é", "日本語", "😀", "\xF4\x8F\xBF\xBF" /* U+10FFFF */, "\xEF\xBF\xBD", "a\xC2\x80z"};
    for (const auto& s : samples) {
        EXPECT_EQ(escaped(s), s);
        EXPECT_EQ(round_trip(escaped(s)), s);
    }
}

TEST(JsonEscape, InvalidUtf8BecomesReplacementCharacter) {
    const std::string fffd = "\xEF\xBF\xBD";
    struct Case {
        std::string in, out;
    } cases[] = {
        {"\xff", fffd},
        {"a\x80z", "a" + fffd + "z"},
        {"\xC3", fffd},                                   // truncated 2-byte sequence at the end
        {"\xC3(", fffd + "("},                            // bad continuation
        {"\xC0\xAF", fffd + fffd},                        // overlong '/'
        {"\xE0\x80\xAF", fffd + fffd + fffd},             // overlong 3-byte
        {"\xED\xA0\x80", fffd + fffd + fffd},             // UTF-16 surrogate
        {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
        {"\xF8\x88\x80\x80\x80", fffd + fffd + fffd + fffd + fffd},
        {"\xE6\x97", fffd + fffd},  // truncated 3-byte
        {"ok\xE6\x97\xA5", "ok\xE6\x97\xA5"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(escaped(c.in), c.out) << testing::PrintToString(c.in);
        EXPECT_TRUE(core::is_valid_utf8(escaped(c.in)));
    }
}

TEST(JsonEscape, RandomBytesAlwaysGiveValidJson) {
    std::mt19937 rng(1234);
    for (int i = 0; i < 2000; ++i) {
        std::string s(rng() % 40, '\0');
        for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
        std::string e = escaped(s);
        std::string back = round_trip(e);
        if (core::is_valid_utf8(s)) {
            EXPECT_EQ(back, s);
        }
    }
}

TEST(JsonWriter, FlatObject) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.field("valid", true);
    w.field("user_id", int64_t{42});
    w.field("username", "alice");
    w.key("last_login");
    w.null();
    w.field("exp", 1750000000);
    w.field("tv", uint32_t{4000000000u});
    w.end_object();
    EXPECT_EQ(
        out,
        R"({"valid":true,"user_id":42,"username":"alice","last_login":null,"exp":1750000000,"tv":4000000000})");
}

TEST(JsonWriter, IntegerExtremes) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    w.value(std::numeric_limits<int64_t>::min());
    w.value(std::numeric_limits<int64_t>::max());
    w.value(0);
    w.value(-1);
    w.end_array();
    EXPECT_EQ(out, "[-9223372036854775808,9223372036854775807,0,-1]");
}

TEST(JsonWriter, NestedObjectsAndArraysPlaceCommasCorrectly) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("a");
    w.begin_array();
    w.end_array();
    w.key("b");
    w.begin_object();
    w.end_object();
    w.key("c");
    w.begin_array();
    w.value("x");
    w.begin_object();
    w.field("k", 1);
    w.key("deep");
    w.begin_array();
    w.begin_array();
    w.end_array();
    w.begin_array();
    w.value(false);
    w.end_array();
    w.end_array();
    w.end_object();
    w.begin_object();
    w.end_object();
    w.null();
    w.end_array();
    w.field("d", "e");
    w.end_object();
    EXPECT_EQ(out, R"({"a":[],"b":{},"c":["x",{"k":1,"deep":[[],[false]]},{},null],"d":"e"})");
    simdjson::dom::parser parser;
    EXPECT_FALSE(parser.parse(out).error());
}

TEST(JsonWriter, TopLevelArrayOfObjects) {
    // The users list: an array of objects, as GET /api/auth/users/ answers.
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    for (int id = 1; id <= 3; ++id) {
        w.begin_object();
        w.field("id", id);
        w.field("role", "CLIENT");
        w.end_object();
    }
    w.end_array();
    EXPECT_EQ(out,
              R"([{"id":1,"role":"CLIENT"},{"id":2,"role":"CLIENT"},{"id":3,"role":"CLIENT"}])");
}

TEST(JsonWriter, RawValuesTakePartInCommas) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.field("detail", "ok");
    w.key("user");
    w.raw(R"({"id":1})");
    w.key("list");
    w.begin_array();
    w.raw("1");
    w.raw("2");
    w.end_array();
    w.end_object();
    EXPECT_EQ(out, R"({"detail":"ok","user":{"id":1},"list":[1,2]})");
}

TEST(JsonWriter, KeysAndValuesAreEscaped) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.field("we\"ird\nkey", "va\\lue\x01\xff");
    w.end_object();
    EXPECT_EQ(out, "{\"we\\\"ird\\nkey\":\"va\\\\lue\\u0001\xEF\xBF\xBD\"}");
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    ASSERT_FALSE(parser.parse(out).get_object().get(obj));
    std::string_view v;
    ASSERT_FALSE(obj["we\"ird\nkey"].get_string().get(v));
    EXPECT_EQ(v, "va\\lue\x01\xEF\xBF\xBD");
}

TEST(JsonWriter, AppendsToExistingText) {
    std::string out = "prefix:";
    JsonWriter w(out);
    w.begin_object();
    w.end_object();
    EXPECT_EQ(out, "prefix:{}");
}

TEST(DetailResponse, ShapesMatchDrf) {
    Response a = detail_response(404, "Not found.");
    EXPECT_EQ(a.status, 404);
    EXPECT_EQ(a.body, R"({"detail":"Not found."})");
    EXPECT_EQ(a.content_type, "application/json");
    Response b =
        detail_response(401, "Given token not valid for any token type", "token_not_valid");
    EXPECT_EQ(b.body,
              R"({"detail":"Given token not valid for any token type","code":"token_not_valid"})");
    Response c = detail_response(405, "Method \"PUT\" not allowed.");
    EXPECT_EQ(c.body, R"({"detail":"Method \"PUT\" not allowed."})");
}

}  // namespace
}  // namespace authd::http
