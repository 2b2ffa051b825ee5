// A std::vector whose storage starts on a 64-byte boundary (a cache line, and an AVX-512 vector),
// and whose large blocks are backed by transparent huge pages where the system offers them.
//
// Alignment: oneDNN's GEMM read 4 MB of packed 1-D synthesis weights at half speed from a
// 16-byte-aligned std::vector (every other vector load split across two cache lines), 8.3 ms
// instead of 4.2 for the iSTFT layer.
//
// Huge pages: the blocks that use this (packed weights, per-thread scratch such as GEMM+col2im's
// cols matrix) are read with strides of a few KiB across several MiB, one 4 KiB page per row, so
// the TLB misses on 4 KiB pages. Linux's default THP policy is "madvise": memory gets 2 MiB pages
// only when asked, which huge_pages.h does for blocks of 2 MiB and more.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

#include "huge_pages.h"

namespace deconv {

template <typename T, std::size_t Alignment = 64>
struct AlignedAllocator {
  using value_type = T;
  template <typename U>
  struct rebind {
    using other = AlignedAllocator<U, Alignment>;
  };
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U, Alignment>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (void* huge = allocateHugePages(bytes)) return static_cast<T*>(huge);
    return static_cast<T*>(::operator new(bytes, std::align_val_t{Alignment}));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (usesHugePages(bytes)) freeHugePages(p, bytes);
    else ::operator delete(p, std::align_val_t{Alignment});
  }

  template <typename U>
  bool operator==(const AlignedAllocator<U, Alignment>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const AlignedAllocator<U, Alignment>&) const noexcept {
    return false;
  }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace deconv
