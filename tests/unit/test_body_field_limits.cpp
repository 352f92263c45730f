// Body and query field readers under hostile input: the field-count cap (a DRF-shaped 400)
// and last-value-wins duplicates, found by hash rather than by a scan per field.
#include <gtest/gtest.h>

#include <string>

#include "http/body_fields.hpp"
#include "http/request_parser.hpp"

namespace authd::http {
namespace {

std::optional<Response> parse(const char* type, std::string_view body, BodyFields& out) {
    std::string bytes = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Type: ";
    bytes += type;
    bytes += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    bytes += body;
    Request req;
    RequestParser p;
    p.set_request(&req);
    EXPECT_EQ(p.feed(bytes).event, ParseEvent::request_ready);
    return parse_body(req, out);
}

std::string form_with(size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += (i ? "&f" : "f") + std::to_string(i) + "=v";
    return s;
}

std::string json_with(size_t n) {
    std::string s = "{";
    for (size_t i = 0; i < n; ++i) s += (i ? ",\"f" : "\"f") + std::to_string(i) + "\":1";
    return s + "}";
}

const char* form = "application/x-www-form-urlencoded";

TEST(BodyFieldLimits, ExactlyTheCapIsAccepted) {
    BodyFields f;
    EXPECT_FALSE(parse(form, form_with(max_body_fields), f));
    EXPECT_EQ(f.fields.size(), max_body_fields);
    EXPECT_FALSE(parse("application/json", json_with(max_body_fields), f));
    EXPECT_EQ(f.fields.size(), max_body_fields);
}

TEST(BodyFieldLimits, OneMoreThanTheCapIs400) {
    for (const char* type : {form, "application/json"}) {
        BodyFields f;
        std::string body =
            type == form ? form_with(max_body_fields + 1) : json_with(max_body_fields + 1);
        auto err = parse(type, body, f);
        ASSERT_TRUE(err) << type;
        EXPECT_EQ(err->status, 400);
        EXPECT_EQ(err->body, R"({"detail":"Too many fields in the request body (at most 256)."})");
    }
}

TEST(BodyFieldLimits, SixThousandFieldsAreRefusedNotScanned) {
    BodyFields f;
    auto err = parse(form, form_with(6000), f);
    ASSERT_TRUE(err);
    EXPECT_EQ(err->status, 400);
}

TEST(BodyFieldLimits, RepeatedNamesCountAgainstTheCapAndKeepTheLastValue) {
    BodyFields f;
    EXPECT_FALSE(parse(form, "a=1&b=2&a=3", f));
    ASSERT_EQ(f.fields.size(), 2u);
    EXPECT_EQ(f.find("a")->value, "3");
    EXPECT_EQ(f.fields[0].name, "a");  // body order of first appearance
    std::string repeated;
    for (int i = 0; i < 300; ++i) repeated += "a=1&";
    EXPECT_TRUE(parse(form, repeated, f));
    EXPECT_FALSE(parse("application/json", R"({"a":1,"a":"x"})", f));
    EXPECT_EQ(f.find("a")->value, "x");
}

TEST(BodyFieldLimits, QueryStringsShareTheCap) {
    std::vector<Field> out;
    EXPECT_EQ(decode_urlencoded(form_with(max_body_fields + 1), out), FormError::too_many_fields);
    out.clear();
    EXPECT_EQ(decode_urlencoded("x=%ff", out), FormError::bad_utf8);
}

}  // namespace
}  // namespace authd::http
