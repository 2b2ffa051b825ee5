// RAII owners for cuDNN descriptors (created and destroyed through the loaded table).
#pragma once

#include <cstdint>
#include <vector>

#include "api.h"

namespace deconv::cudnn {


class TensorDescriptor {
 public:
  // dims and strides outermost first, in elements (4 or 5 entries).
  TensorDescriptor(cudnnDataType_t type, const std::vector<int>& dims, const std::vector<int>& strides);
  ~TensorDescriptor();
  TensorDescriptor(const TensorDescriptor&) = delete;
  TensorDescriptor& operator=(const TensorDescriptor&) = delete;
  cudnnTensorDescriptor_t get() const { return handle_; }

 private:
  cudnnTensorDescriptor_t handle_ = nullptr;
};

class FilterDescriptor {
 public:
  FilterDescriptor(cudnnDataType_t type, cudnnTensorFormat_t format, const std::vector<int>& dims);
  ~FilterDescriptor();
  FilterDescriptor(const FilterDescriptor&) = delete;
  FilterDescriptor& operator=(const FilterDescriptor&) = delete;
  cudnnFilterDescriptor_t get() const { return handle_; }

 private:
  cudnnFilterDescriptor_t handle_ = nullptr;
};

class ConvolutionDescriptor {
 public:
  ConvolutionDescriptor(const std::vector<int>& pads, const std::vector<int>& strides, const std::vector<int>& dilations, int groups,
                        cudnnDataType_t computeType);
  ~ConvolutionDescriptor();
  ConvolutionDescriptor(const ConvolutionDescriptor&) = delete;
  ConvolutionDescriptor& operator=(const ConvolutionDescriptor&) = delete;
  cudnnConvolutionDescriptor_t get() const { return handle_; }
  void setMathType(cudnnMathType_t math) const;

 private:
  cudnnConvolutionDescriptor_t handle_ = nullptr;
};

class ActivationDescriptor {
 public:
  ActivationDescriptor(cudnnActivationMode_t mode, double coef);
  ~ActivationDescriptor();
  ActivationDescriptor(const ActivationDescriptor&) = delete;
  ActivationDescriptor& operator=(const ActivationDescriptor&) = delete;
  cudnnActivationDescriptor_t get() const { return handle_; }

 private:
  cudnnActivationDescriptor_t handle_ = nullptr;
};

class OpTensorDescriptor {
 public:
  explicit OpTensorDescriptor(cudnnOpTensorOp_t op);
  ~OpTensorDescriptor();
  OpTensorDescriptor(const OpTensorDescriptor&) = delete;
  OpTensorDescriptor& operator=(const OpTensorDescriptor&) = delete;
  cudnnOpTensorDescriptor_t get() const { return handle_; }

 private:
  cudnnOpTensorDescriptor_t handle_ = nullptr;
};

}  // namespace deconv::cudnn
