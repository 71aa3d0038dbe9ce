"""mnist-cnn's augmentation: the warp is torchvision's affine, drawn per sample from the seed."""

import pytest
import torch
import torchvision.transforms.v2 as T
import torchvision.transforms.v2.functional as TF
from torchvision.transforms import InterpolationMode

from shendu.data.mnist import (
    MNIST_SPEC,
    RandomAffineWarp,
    Standardize,
    affine_warp,
    mnist_bundle,
    mnist_transforms,
)
from shendu.data.sampling import SeededSamples


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 20, 28), (2, 17, 9)])
def test_affine_warp_is_torchvisions_bilinear_affine(shape):
    generator = torch.Generator().manual_seed(sum(shape))
    image = torch.rand(shape, generator=generator)
    for _ in range(12):  # generated warps: angle, shift (x, y) in pixels, zoom
        angle, shift_x, shift_y, zoom = (torch.rand(4, generator=generator) * 2 - 1).tolist()
        angle, shift, zoom = angle * 30, (shift_x * 4, shift_y * 4), 1 + zoom * 0.3
        expected = TF.affine(image, angle=angle, translate=list(shift), scale=zoom, shear=[0.0, 0.0],
                             interpolation=InterpolationMode.BILINEAR)
        torch.testing.assert_close(affine_warp(image, angle, shift, zoom), expected, atol=2e-5, rtol=0)


def test_random_warp_draws_from_the_global_generator_within_its_ranges():
    image = torch.rand(1, 28, 28)
    warp = RandomAffineWarp(degrees=10, translate=0.1, scale=(0.9, 1.1))
    torch.manual_seed(3)
    first = warp(image)
    torch.manual_seed(3)
    u_angle, u_x, u_y, u_zoom = torch.rand(4).tolist()  # the same four numbers, mapped to the ranges
    expected = affine_warp(image, (2 * u_angle - 1) * 10, ((2 * u_x - 1) * 2.8, (2 * u_y - 1) * 2.8), 0.9 + 0.2 * u_zoom)
    torch.testing.assert_close(first, expected, atol=0, rtol=0)
    assert not torch.equal(first, warp(image))  # the next draw is another warp
    torch.testing.assert_close(RandomAffineWarp(0, 0, (1, 1))(image), image, atol=1e-5, rtol=0)  # no warp: the image


def test_a_batch_is_warped_as_each_sample_alone_from_its_own_seed():
    bundle = mnist_bundle(augment=True)
    samples = SeededSamples(bundle.train)
    generator = torch.Generator().manual_seed(0)
    indices = torch.randint(0, len(bundle.train), (40,), generator=generator).tolist()
    keys = [(index, int(seed)) for index, seed in zip(indices, torch.randint(0, 2**62, (40,), generator=generator),
                                                        strict=True)]
    batch = samples.__getitems__(keys)  # what the DataLoader reads: one grid_sample for the batch
    for (image, label), key in zip(batch, keys, strict=True):
        alone_image, alone_label = samples[key]  # one image, its warp drawn after torch.manual_seed(seed)
        assert torch.equal(image, alone_image) and int(label) == int(alone_label)
    assert not torch.equal(samples[(3, 77)][0], samples[(3, 78)][0])  # another seed, another warp
    # a dataset without seeded_items is read key by key, as before
    plain = SeededSamples(bundle.val)
    few = [(index % len(bundle.val), seed) for index, seed in keys[:5]]
    assert all(torch.equal(a[0], b[0]) for a, b in zip(plain.__getitems__(few), [plain[k] for k in few],
                                                        strict=True))


def test_standardize_is_torchvisions_normalize():
    image = torch.rand(1, 28, 28)
    expected = T.Normalize(MNIST_SPEC.mean, MNIST_SPEC.std)(image)
    torch.testing.assert_close(Standardize(MNIST_SPEC.mean, MNIST_SPEC.std)(image), expected)
    torch.testing.assert_close(mnist_transforms(augment=False)(image), expected)
