// auth/signature_cache.cpp — the verified-signature memory of one loop (see the header).
#include "auth/signature_cache.hpp"

#include <sodium.h>

namespace authd::auth {

SignatureCache::SignatureCache() {
    randombytes_buf(key_.data(), key_.size());
}

SignatureCache::Digest SignatureCache::digest(std::string_view token) const {
    Digest d;
    crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(token.data()),
                       token.size(), key_.data(), key_.size());
    return d;
}

bool SignatureCache::contains(const Digest& d, uint64_t generation) const {
    const Slot& s = slots_[index(d)];
    // The digest is not secret from this process; a plain comparison of a keyed hash leaks
    // nothing a client could use, but sodium_memcmp costs nothing here either.
    return s.generation == generation && generation != 0 &&
           sodium_memcmp(s.digest.data(), d.data(), d.size()) == 0;
}

void SignatureCache::insert(const Digest& d, uint64_t generation) {
    Slot& s = slots_[index(d)];
    s.digest = d;
    s.generation = generation;
}

}  // namespace authd::auth
