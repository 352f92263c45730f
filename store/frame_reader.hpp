// FrameReader: streams the framed records of a journal or snapshot file through a bounded
// buffer, stopping at the first frame that is short, oversized, empty or fails its CRC.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace authd::store {

class FrameReader {
  public:
    enum class Status { record, end, bad };

    // Reads frames of the file `fd` from byte `start` up to `end` (the file size).
    FrameReader(int fd, uint64_t start, uint64_t end, uint32_t max_record);

    // The next record (its bytes stay valid until the next call), `end` at the end of the
    // file, or `bad`: frame_offset() is then where the bad frame starts, and io_error() is
    // non-zero if a read failed rather than the bytes being wrong.
    Status next(std::string_view& payload);

    uint64_t frame_offset() const { return frame_offset_; }
    int io_error() const { return io_error_; }

  private:
    bool ensure(size_t n);  // at least n unread bytes buffered (false at end of file)

    int fd_;
    uint64_t end_;
    uint32_t max_record_;
    uint64_t base_;  // file offset of buf_[0]
    std::string buf_;
    size_t pos_ = 0;  // next unread byte in buf_
    size_t len_ = 0;  // bytes valid in buf_
    uint64_t frame_offset_ = 0;
    int io_error_ = 0;
};

}  // namespace authd::store
