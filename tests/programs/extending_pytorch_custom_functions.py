"""Extending torch.autograd: LinearFunction, MulConstant and a Linear module built on them.

Source: PyTorch documentation, "Extending PyTorch" (https://pytorch.org/docs/stable/notes/extending.html),
sections "Extending torch.autograd" (LinearFunction with the separate setup_context, MulConstant
with a non-tensor argument, the gradcheck example) and "Extending torch.nn" (a Linear module that
calls LinearFunction.apply). Adapted: smaller sizes (gradcheck on 4x3 inputs instead of 20x20),
inputs and initial weights from numpy.random.default_rng(0) instead of torch.randn and
nn.init.uniform_; a few SGD steps with the module added to use its gradients.
"""
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Function, gradcheck


# Inherit from Function
class LinearFunction(Function):

    # Note that forward, setup_context, and backward are @staticmethods
    @staticmethod
    def forward(input, weight, bias):
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    # inputs is a Tuple of all of the inputs passed to forward.
    # output is the output of the forward().
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    # This function has only a single output, so it gets only one gradient
    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None

        # These needs_input_grad checks are optional and there only to
        # improve efficiency.
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)

        return grad_input, grad_weight, grad_bias


class MulConstant(Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        # ctx is a context object that can be used to stash information
        # for backward computation
        tensor, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        # We return as many input gradients as there were arguments.
        # Gradients of non-Tensor arguments to forward must be None.
        return grad_output * ctx.constant, None


class Linear(nn.Module):
    def __init__(self, input_features, output_features, bias=True):
        super().__init__()
        self.input_features = input_features
        self.output_features = output_features

        # nn.Parameter is a special kind of Tensor, that will get
        # automatically registered as Module's parameter once it's assigned
        # as an attribute.
        self.weight = nn.Parameter(torch.empty(output_features, input_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(output_features))
        else:
            # You should always register all possible parameters, but the
            # optional ones can be None if you want.
            self.register_parameter('bias', None)

    def forward(self, input):
        # See the autograd section for explanation of what happens here.
        return LinearFunction.apply(input, self.weight, self.bias)

    def extra_repr(self):
        # (Optional)Set the extra information about this module.
        return 'input_features={}, output_features={}, bias={}'.format(
            self.input_features, self.output_features, self.bias is not None
        )


rng = np.random.default_rng(0)

# gradcheck takes a tuple of tensors as input, check if your gradient
# evaluated with these tensors are close enough to numerical
# approximations and returns True if they all verify this condition.
linear = LinearFunction.apply
input = (torch.tensor(rng.normal(size=(4, 3)), dtype=torch.double, requires_grad=True),
         torch.tensor(rng.normal(size=(5, 3)), dtype=torch.double, requires_grad=True),
         torch.tensor(rng.normal(size=5), dtype=torch.double, requires_grad=True))
test_linear = gradcheck(linear, input, eps=1e-6, atol=1e-4)
test_mul = gradcheck(MulConstant.apply, (input[0], 2.5), eps=1e-6, atol=1e-4)

# The module, trained for a few steps on a small regression problem.
model = Linear(3, 2)
with torch.no_grad():
    model.weight.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=(2, 3)), dtype=torch.float32))
    model.bias.copy_(torch.tensor(rng.uniform(-0.5, 0.5, size=2), dtype=torch.float32))
X = torch.tensor(rng.normal(size=(8, 3)), dtype=torch.float32)
Y = torch.tensor(rng.normal(size=(8, 2)), dtype=torch.float32)
losses = []
for step in range(5):
    out = MulConstant.apply(model(X), 0.5)
    loss = ((out - Y) ** 2).mean()
    losses.append(loss.item())
    model.weight.grad = None
    model.bias.grad = None
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad

RESULTS = {
    "gradcheck_linear": test_linear,
    "gradcheck_mul_constant": test_mul,
    "losses": losses,
    "weight": model.weight,
    "bias": model.bias,
    "weight_grad": model.weight.grad,
    "repr": repr(model),
    "grad_fn_names": [type(out.grad_fn).__name__, type(out.grad_fn.next_functions[0][0]).__name__],
    "needs_input_grad_constant_input": type(LinearFunction.apply(X, model.weight, None).grad_fn).__name__,
}
