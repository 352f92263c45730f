// The synthetic user base and the list queries shared by the list benchmarks (user table,
// embedded store, Redis store), so that their figures describe the same workload.
#pragma once
#include <cstdint>
#include <iterator>
#include <string>

#include "store/types.hpp"

namespace authd::bench {

// User `id` of the base: names drawn from short lists, every 10th an agent, every 3rd
// inactive. id and timestamps are left to the caller (a store assigns them).
inline store::User bench_user(int64_t id) {
    static constexpr const char* first_names[] = {"Alice", "Bob",      "Chloé", "David",
                                                  "Emma",  "François", "Grace", "Hugo",
                                                  "Inès",  "Jules",    "Karim", "Léa"};
    static constexpr const char* last_names[] = {"Martin", "Bernard", "Dubois", "Thomas",
                                                 "Robert", "Richard", "Petit",  "Durand",
                                                 "Leroy",  "Moreau",  "Smith"};
    store::User u;
    u.username = "user" + std::to_string(id);
    u.email = "User" + std::to_string(id) + "@Example.com";
    u.first_name = first_names[id % std::size(first_names)];
    u.last_name = last_names[id % std::size(last_names)];
    u.role = id % 10 == 0 ? store::Role::agent : store::Role::client;
    u.is_active = id % 3 != 0;
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA";
    return u;
}

// The benchmarked queries, 50 per page; `which` is the benchmark's "query" argument.
inline store::UserQuery bench_query(int which) {
    store::UserQuery q;
    q.limit = 50;
    switch (which) {
        case 0:
            q.search = "smith";
            break;  // ~9% of users match
        case 1:
            q.search = "USER9999";
            break;  // a handful match
        case 2:
            q.role = store::Role::agent;
            q.is_active = true;
            break;  // filters only
        case 3:
            q.search = "dubois";
            q.offset = 5000;
            break;  // deep page
        case 4:
            break;  // first page, no filter
        case 5:
            q.search = "@example";
            break;  // every user matches
    }
    return q;
}

}  // namespace authd::bench
