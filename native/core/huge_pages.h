// Memory blocks of 2 MiB and more mapped on 2 MiB boundaries and marked for transparent huge
// pages (madvise MADV_HUGEPAGE), so that strided reads over them miss the TLB far less often.
// Smaller blocks, and every block where the system has no such mapping (not Linux), come from the
// ordinary allocator: usesHugePages says which, for a given size, so that a block goes back to the
// allocator it came from.
#pragma once

#include <cstddef>

namespace deconv {

constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// Whether a block of `bytes` is mapped here rather than taken from the ordinary allocator.
bool usesHugePages(std::size_t bytes) noexcept;

// A 2 MiB-aligned block of `bytes` where usesHugePages(bytes), else nullptr. Throws
// std::bad_alloc when the mapping fails (the system is out of memory).
void* allocateHugePages(std::size_t bytes);

// Gives back a block that allocateHugePages returned for the same `bytes`.
void freeHugePages(void* block, std::size_t bytes) noexcept;

}  // namespace deconv
