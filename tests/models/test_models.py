import pytest
import torch
import torch.nn.functional as F

from shendu.errors import RunFolderError
from shendu.models import build_model, factory_path
from shendu.models.mlp import TwoLayerNet, digits_mlp
from shendu.models.mnist import MNISTNet, mnist_net


def test_mnistnet_shapes_and_parameter_count_match_the_documents():
    model = mnist_net()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    # conv1 320 + conv2 18,496 + fc1 9216*128+128 + fc2 1,290
    assert sum(p.numel() for p in model.parameters()) == 320 + 18496 + 1179776 + 1290
    assert model.fc1.in_features == 9216


def test_mnistnet_logits_give_the_documents_nll_loss():
    torch.manual_seed(0)
    model = MNISTNet().eval()
    x, y = torch.randn(4, 1, 28, 28), torch.tensor([1, 2, 3, 4])
    logits = model(x)
    assert torch.allclose(F.cross_entropy(logits, y), F.nll_loss(F.log_softmax(logits, 1), y))


def test_two_layer_net_flattens_images_and_checks_activation():
    model = digits_mlp(hidden=16)
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    with pytest.raises(ValueError, match="activation must be one of"):
        TwoLayerNet(4, 4, 2, activation="swish")


def test_build_model_round_trips_factory_paths_and_refuses_other_modules():
    model = build_model(factory_path(digits_mlp), {"hidden": 8})
    assert isinstance(model, TwoLayerNet) and model.fc1.out_features == 8
    with pytest.raises(RunFolderError, match="must name a function in shendu.models"):
        build_model("os:system", {"command": "echo hi"})
    with pytest.raises(RunFolderError, match="does not have"):
        build_model("shendu.models.mnist:nope", {})
    with pytest.raises(RunFolderError, match="`kwargs` has 'bogus', which shendu.models.mnist:mnist_net does not take"):
        build_model(factory_path(mnist_net), {"bogus": 1})
    with pytest.raises(RunFolderError, match=r"`kwargs` \(hidden=8, activation='swish'\) do not build .*activation must be"):
        build_model(factory_path(digits_mlp), {"hidden": 8, "activation": "swish"})
    with torch.device("meta"):  # how shendu.load compares a model.json with its weights before building it
        assert build_model(factory_path(digits_mlp), {"hidden": 10**9}).fc1.weight.shape == (10**9, 64)


def test_cifar_models_follow_the_documents():
    from shendu.models.cifar import lenet, simple_cnn

    x = torch.zeros(2, 3, 32, 32)
    assert simple_cnn()(x).shape == (2, 10) and lenet()(x).shape == (2, 10)
    assert simple_cnn().fc1.in_features == 128 * 4 * 4 and lenet().fc1.in_features == 16 * 5 * 5
    # LeNet-style 6-16-120-84: 456 + 2,416 + 48,120 + 10,164 + 850 parameters
    assert sum(p.numel() for p in lenet().parameters()) == 62006
