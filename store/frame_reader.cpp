// Streaming frame reader: a buffer of two maximum frames, refilled with pread.
#include "store/frame_reader.hpp"

#include <cstring>

#include "store/file_util.hpp"
#include "store/journal_format.hpp"

namespace authd::store {

namespace jf = journal_format;

FrameReader::FrameReader(int fd, uint64_t start, uint64_t end, uint32_t max_record)
    : fd_(fd), end_(end), max_record_(max_record), base_(start), frame_offset_(start) {
    buf_.resize(2 * (static_cast<size_t>(max_record) + jf::frame_header_bytes));
}

bool FrameReader::ensure(size_t n) {
    if (len_ - pos_ >= n) return true;
    // Slide the unread bytes to the front, then fill the rest of the buffer.
    std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
    base_ += pos_;
    len_ -= pos_;
    pos_ = 0;
    uint64_t file_left = end_ > base_ + len_ ? end_ - (base_ + len_) : 0;
    size_t want = buf_.size() - len_;
    if (want > file_left) want = static_cast<size_t>(file_left);
    if (want > 0) {
        ssize_t r = read_full_at(fd_, buf_.data() + len_, want, static_cast<off_t>(base_ + len_));
        if (r < 0) {
            io_error_ = static_cast<int>(-r);
            return false;
        }
        len_ += static_cast<size_t>(r);
    }
    return len_ - pos_ >= n;
}

FrameReader::Status FrameReader::next(std::string_view& payload) {
    frame_offset_ = base_ + pos_;
    if (frame_offset_ >= end_) return Status::end;
    if (!ensure(jf::frame_header_bytes)) return Status::bad;
    const char* head = buf_.data() + pos_;
    uint32_t len = jf::get_u32(head);
    if (len == 0 || len > max_record_) return Status::bad;
    if (!ensure(jf::frame_header_bytes + len)) return Status::bad;
    head = buf_.data() + pos_;  // ensure() may have moved the bytes
    std::string_view body(head + jf::frame_header_bytes, len);
    if (jf::get_u32(head + 4) != jf::frame_crc(head, body)) return Status::bad;
    pos_ += jf::frame_header_bytes + len;
    payload = body;
    return Status::record;
}

}  // namespace authd::store
