#include "descriptors.h"

namespace deconv::cudnn {

TensorDescriptor::TensorDescriptor(cudnnDataType_t type, const std::vector<int>& dims, const std::vector<int>& strides) {
  const CudnnApi& dn = dnn();
  checkCudnn(dn.cudnnCreateTensorDescriptor(&handle_), "cudnnCreateTensorDescriptor");
  const cudnnStatus_t status =
      dn.cudnnSetTensorNdDescriptor(handle_, type, static_cast<int>(dims.size()), dims.data(), strides.data());
  if (status != CUDNN_STATUS_SUCCESS) {
    dn.cudnnDestroyTensorDescriptor(handle_);
    checkCudnn(status, "cudnnSetTensorNdDescriptor");
  }
}

TensorDescriptor::~TensorDescriptor() { dnn().cudnnDestroyTensorDescriptor(handle_); }

FilterDescriptor::FilterDescriptor(cudnnDataType_t type, cudnnTensorFormat_t format, const std::vector<int>& dims) {
  const CudnnApi& dn = dnn();
  checkCudnn(dn.cudnnCreateFilterDescriptor(&handle_), "cudnnCreateFilterDescriptor");
  const cudnnStatus_t status = dn.cudnnSetFilterNdDescriptor(handle_, type, format, static_cast<int>(dims.size()), dims.data());
  if (status != CUDNN_STATUS_SUCCESS) {
    dn.cudnnDestroyFilterDescriptor(handle_);
    checkCudnn(status, "cudnnSetFilterNdDescriptor");
  }
}

FilterDescriptor::~FilterDescriptor() { dnn().cudnnDestroyFilterDescriptor(handle_); }

ConvolutionDescriptor::ConvolutionDescriptor(const std::vector<int>& pads, const std::vector<int>& strides,
                                             const std::vector<int>& dilations, int groups, cudnnDataType_t computeType) {
  const CudnnApi& dn = dnn();
  checkCudnn(dn.cudnnCreateConvolutionDescriptor(&handle_), "cudnnCreateConvolutionDescriptor");
  cudnnStatus_t status = dn.cudnnSetConvolutionNdDescriptor(handle_, static_cast<int>(pads.size()), pads.data(), strides.data(),
                                                            dilations.data(), CUDNN_CROSS_CORRELATION, computeType);
  if (status == CUDNN_STATUS_SUCCESS) status = dn.cudnnSetConvolutionGroupCount(handle_, groups);
  if (status != CUDNN_STATUS_SUCCESS) {
    dn.cudnnDestroyConvolutionDescriptor(handle_);
    checkCudnn(status, "cudnnSetConvolutionNdDescriptor");
  }
}

ConvolutionDescriptor::~ConvolutionDescriptor() { dnn().cudnnDestroyConvolutionDescriptor(handle_); }

void ConvolutionDescriptor::setMathType(cudnnMathType_t math) const {
  checkCudnn(dnn().cudnnSetConvolutionMathType(handle_, math), "cudnnSetConvolutionMathType");
}

ActivationDescriptor::ActivationDescriptor(cudnnActivationMode_t mode, double coef) {
  const CudnnApi& dn = dnn();
  checkCudnn(dn.cudnnCreateActivationDescriptor(&handle_), "cudnnCreateActivationDescriptor");
  const cudnnStatus_t status = dn.cudnnSetActivationDescriptor(handle_, mode, CUDNN_PROPAGATE_NAN, coef);
  if (status != CUDNN_STATUS_SUCCESS) {
    dn.cudnnDestroyActivationDescriptor(handle_);
    checkCudnn(status, "cudnnSetActivationDescriptor");
  }
}

ActivationDescriptor::~ActivationDescriptor() { dnn().cudnnDestroyActivationDescriptor(handle_); }

OpTensorDescriptor::OpTensorDescriptor(cudnnOpTensorOp_t op) {
  const CudnnApi& dn = dnn();
  checkCudnn(dn.cudnnCreateOpTensorDescriptor(&handle_), "cudnnCreateOpTensorDescriptor");
  const cudnnStatus_t status = dn.cudnnSetOpTensorDescriptor(handle_, op, CUDNN_DATA_FLOAT, CUDNN_PROPAGATE_NAN);
  if (status != CUDNN_STATUS_SUCCESS) {
    dn.cudnnDestroyOpTensorDescriptor(handle_);
    checkCudnn(status, "cudnnSetOpTensorDescriptor");
  }
}

OpTensorDescriptor::~OpTensorDescriptor() { dnn().cudnnDestroyOpTensorDescriptor(handle_); }

}  // namespace deconv::cudnn
