// Fuzz target: RESP bytes through hiredis' reader, then every reply decoder authd applies to
// what a Redis server answers (ints, elements, user and mail hashes, audit entries, CLIENT
// LIST). A hostile or broken server must not crash authd.
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstdint>
#include <string>

#include "store/redis_codec.hpp"

using namespace authd::store;

namespace {

void decode_all(const redisReply* r, int depth) {
    if (!r || depth > 4) return;
    int64_t n = 0;
    (void)reply_int(r, n);
    (void)reply_int_or(r, 0);
    std::string_view v = reply_view(r);
    (void)decode_audit(v);
    (void)instances_in_client_list(v);
    (void)search_needle(v);
    (void)decode_user(r);
    (void)decode_mail(r);
    for (size_t i = 0; i < 8; ++i) decode_all(reply_element(r, i), depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    redisReader* reader = redisReaderCreate();
    redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
    for (int i = 0; i < 16; ++i) {
        void* reply = nullptr;
        if (redisReaderGetReply(reader, &reply) != REDIS_OK || !reply) break;
        decode_all(static_cast<redisReply*>(reply), 0);
        freeReplyObject(reply);
    }
    redisReaderFree(reader);
    return 0;
}
