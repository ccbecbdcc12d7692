#include "logging/sink.h"

#include <unistd.h>

#include <cerrno>
#include <exception>

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/rotating_file_sink.h>

namespace vigil::logging {

void ConsoleSink::Write(Level, std::string_view line) {
  buffer_.append(line);
  buffer_.push_back('\n');
  if (buffer_.size() >= (1 << 16)) Flush();
}

void ConsoleSink::Flush() {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      errors_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
}

RotatingFileSink::RotatingFileSink(std::shared_ptr<spdlog::sinks::sink> impl)
    : impl_(std::move(impl)) {
  // The line is already formatted: spdlog adds only the end of line.
  impl_->set_pattern("%v");
}

RotatingFileSink::~RotatingFileSink() {
  try {
    impl_->flush();
  } catch (const std::exception&) {  // spdlog reports I/O errors by throwing
  }
}

Result<std::shared_ptr<Sink>> RotatingFileSink::Create(const std::string& path,
                                                       uint64_t max_bytes,
                                                       uint32_t max_files) {
  if (max_bytes == 0) {
    return InvalidArgumentError("log file " + path + ": max size must be positive");
  }
  try {
    auto impl = std::make_shared<spdlog::sinks::rotating_file_sink_st>(path, max_bytes, max_files);
    return std::shared_ptr<Sink>(new RotatingFileSink(std::move(impl)));
  } catch (const std::exception& e) {
    return UnavailableError("log file " + path + ": " + e.what());
  }
}

void RotatingFileSink::Write(Level, std::string_view line) {
  spdlog::details::log_msg msg(spdlog::string_view_t(), spdlog::level::info,
                               spdlog::string_view_t(line.data(), line.size()));
  try {
    impl_->log(msg);
  } catch (const std::exception&) {
    errors_.fetch_add(1, std::memory_order_relaxed);
  }
}

void RotatingFileSink::Flush() {
  try {
    impl_->flush();
  } catch (const std::exception&) {
    errors_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace vigil::logging
