// CRC-32C (Castagnoli) checksums for journal and snapshot records: SSE4.2 when the CPU has
// it, a slice-by-8 table otherwise (the store library links no zlib).
#pragma once
#include <cstddef>
#include <cstdint>

namespace authd::store {

// Extends `crc` (0 to start) over n bytes; crc32c(crc32c(0, a), b) == crc32c(0, a + b).
uint32_t crc32c(uint32_t crc, const void* data, size_t n);

// The table-driven path alone (what CPUs without SSE4.2 use), for tests.
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t n);

}  // namespace authd::store
