// Whole-file reads that undo gzip / Unix compress (.Z) / bzip2 / xz / zstd, chosen by the magic
// bytes (IGS archives rename and recompress files freely, so the name proves nothing).
// gzip goes through zlib, which checks the CRC and length (libarchive does not); the rest
// through libarchive. Unix compress has no checksum: a cut .Z file shows up as a truncated map.
#include <archive.h>
#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "tecscan/error.hpp"
#include "tecscan/ionex.hpp"

namespace tecscan {
namespace {

std::string read_raw(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) bytes.append(buffer, n);
  if (std::ferror(file.get()))  // e.g. EISDIR: fopen succeeds on a directory, fread does not
    throw InputError(path, 0, std::string("cannot read: ") + std::strerror(errno));
  return bytes;
}

bool starts_with(const std::string& bytes, const char* magic, size_t size) {
  return bytes.size() >= size && std::memcmp(bytes.data(), magic, size) == 0;
}

bool is_gzip(const std::string& bytes) {
  return starts_with(bytes, "\x1f\x8b", 2);
}

bool is_other_compressed(const std::string& bytes) {
  return starts_with(bytes, "\x1f\x9d", 2)                   // Unix compress (.Z)
         || starts_with(bytes, "BZh", 3)                     // bzip2
         || starts_with(bytes, "\xfd\x37\x7a\x58\x5a\0", 6)  // xz
         || starts_with(bytes, "\x28\xb5\x2f\xfd", 4);       // zstd
}

// Every member of a (possibly multi-member) gzip file; trailing zero padding is allowed.
std::string gunzip(const std::string& bytes, const std::string& path) {
  if (bytes.size() > UINT32_MAX) throw InputError(path, 0, "gzip file larger than 4 GiB");
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    throw InputError(path, 0, "cannot start the gzip decompressor (out of memory)");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, &inflateEnd);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  std::string text;
  text.reserve(bytes.size() * 6);  // IONEX compresses ~5-8x
  char buffer[1 << 16];
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    int status = inflate(&z, Z_NO_FLUSH);
    text.append(buffer, sizeof buffer - z.avail_out);
    if (status == Z_STREAM_END) {
      const char* rest = reinterpret_cast<const char*>(z.next_in);
      size_t left = z.avail_in;
      if (left >= 2 && rest[0] == '\x1f' && rest[1] == '\x8b') {
        inflateReset(&z);  // next member
        continue;
      }
      for (size_t k = 0; k < left; ++k)
        if (rest[k] != '\0') throw InputError(path, 0, "corrupt gzip file: data after the stream");
      return text;
    }
    if (status == Z_BUF_ERROR && z.avail_in == 0)
      throw InputError(path, 0, "corrupt gzip file: truncated gzip stream");
    if (status != Z_OK)
      throw InputError(path, 0,
                       std::string("corrupt gzip file: ") + (z.msg ? z.msg : "inflate failed"));
  }
}

std::string decompress(const std::string& bytes, const std::string& path) {
  std::unique_ptr<archive, int (*)(archive*)> reader(archive_read_new(), &archive_read_free);
  if (!reader) throw InputError(path, 0, "cannot start the decompressor (out of memory)");
  archive* a = reader.get();
  auto fail = [&](const char* stage) {
    const char* why = archive_error_string(a);
    return InputError(path, 0,
                      std::string("corrupt compressed data (") + stage +
                          "): " + (why ? why : "unknown libarchive error"));
  };
  archive_read_support_filter_all(a);
  archive_read_support_format_raw(a);  // a single compressed stream, not an archive of files
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) throw fail("open");
  archive_entry* entry = nullptr;
  if (archive_read_next_header(a, &entry) != ARCHIVE_OK) throw fail("header");
  std::string text;
  text.reserve(bytes.size() * 6);  // IONEX compresses ~5-8x
  char buffer[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
    if (n < 0) throw fail("stream");
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

std::string read_file_decompressed(const std::string& path) {
  std::string bytes = read_raw(path);
  if (is_gzip(bytes)) return gunzip(bytes, path);
  if (is_other_compressed(bytes)) return decompress(bytes, path);
  return bytes;
}

}  // namespace tecscan
