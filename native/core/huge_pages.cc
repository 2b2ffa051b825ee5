#include "huge_pages.h"

#include <cstdint>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace deconv {

namespace {

std::size_t roundUpToHugePage(std::size_t bytes) { return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes; }

}  // namespace

#if defined(__linux__)

bool usesHugePages(std::size_t bytes) noexcept { return bytes >= kHugePageBytes; }

void* allocateHugePages(std::size_t bytes) {
  if (!usesHugePages(bytes)) return nullptr;
  // Map one huge page more than needed, then unmap the unaligned head and the tail, so that the
  // block starts on a 2 MiB boundary (the kernel backs only aligned 2 MiB ranges with huge pages).
  const std::size_t length = roundUpToHugePage(bytes);
  const std::size_t mapped = length + kHugePageBytes;
  void* raw = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (aligned > start) munmap(raw, aligned - start);
  const std::uintptr_t end = start + mapped, alignedEnd = aligned + length;
  if (end > alignedEnd) munmap(reinterpret_cast<void*>(alignedEnd), end - alignedEnd);
  void* block = reinterpret_cast<void*>(aligned);
  // Advice only: where THP is off ("never"), this fails and the block keeps 4 KiB pages.
  madvise(block, length, MADV_HUGEPAGE);
  return block;
}

void freeHugePages(void* block, std::size_t bytes) noexcept {
  if (block != nullptr) munmap(block, roundUpToHugePage(bytes));
}

#else

bool usesHugePages(std::size_t) noexcept { return false; }
void* allocateHugePages(std::size_t) { return nullptr; }
void freeHugePages(void*, std::size_t) noexcept {}

#endif

}  // namespace deconv
