"""The model zoo: the survey's classic architectures, one file per paper, registered with their model cards.

Every architecture module is listed here explicitly; its ``ZOO`` entries (builder, card) are registered, and
the formats of official checkpoints that srkit can load are listed in ``DETECTIONS`` (first match wins, so the
more specific formats come first).
"""

from srkit.archs import (
    carn,
    dbpn,
    discriminators,
    drcn,
    drrn,
    dwsr,
    edsr,
    espcn,
    esrgan,
    fsrcnn,
    imdn,
    lapsrn,
    mdsr,
    memnet,
    msrn,
    pan,
    rcan,
    rdn,
    srcnn,
    srfbn,
    srkit_nets,
    srresnet,
    swinir,
    vdsr,
)
from srkit.archs._registry import (
    DISCRIMINATORS,
    MODELS,
    Builder,
    ModelEntry,
    build_discriminator,
    build_model,
    list_models,
    model_card,
    register_model,
)
from srkit.archs.checkpoint import Detection, load_state, read_state_dict, unwrap
from srkit.archs.loader import DETECTIONS, detect_arch, load_model

_ZOO_MODULES = (
    srcnn,
    fsrcnn,
    espcn,
    vdsr,
    drcn,
    drrn,
    lapsrn,
    memnet,
    dwsr,  # pre-upsampling and light post-upsampling
    edsr,
    mdsr,
    srresnet,
    esrgan,
    rcan,
    rdn,
    msrn,  # residual, attention, dense, multi-path
    dbpn,
    srfbn,
    carn,
    imdn,
    pan,
    swinir,  # iterative, feedback, efficient, transformer
    srkit_nets,  # srkit's own (trained and shipped)
)
for _module in _ZOO_MODULES:
    for _builder, _card in _module.ZOO:
        register_model(_builder, _card)
for _builder, _card in discriminators.DISCRIMINATORS:
    DISCRIMINATORS.register(_card.name, ModelEntry(_builder, _card))

DETECTIONS.extend(
    [
        Detection("mdsr", mdsr.detect, "pre_process.N, upsample.N (EDSR-PyTorch MDSR)", mdsr.convert_official),
        Detection("rcan", rcan.detect, "head.0, body.G.body.B.body.3.conv_du (RCAN)"),
        Detection("edsr", edsr.detect, "head.0, body.N.body.0, tail.0 (EDSR-PyTorch)"),
        Detection("rdn", rdn.detect, "SFENet1, RDBs.N, GFF (RDN)"),
        Detection(
            "rrdbnet",
            esrgan.detect,
            "conv_first, body.N.rdb1.conv1, conv_up1 (BasicSR); RRDB_trunk.N.RDB1, trunk_conv or model.N (ESRGAN)",
            esrgan.convert_official,
        ),
        Detection("fsrcnn", fsrcnn.detect, "first_part.0, mid_part.N, last_part (FSRCNN, yjn870)"),
        Detection("imdn", imdn.detect, "fea_conv, IMDB1..6, c.0, LR_conv, upsampler.0 (IMDN)"),
        Detection("pan", pan.detect, "conv_first, SCPA_trunk.N, trunk_conv, upconv1, att1 (PAN)"),
        Detection(
            "carn",
            carn.detect,
            "sub_mean.shifter, entry, b1.b1.body, c1.body, upsample (CARN, CARN-M)",
            name_of=carn.arch_name,
        ),
        Detection(
            "swinir",
            swinir.detect,
            "conv_first, patch_embed.norm, layers.N.residual_group.blocks.N.attn, conv_after_body (SwinIR)",
            swinir.convert_official,
            name_of=swinir.arch_name,
        ),
        Detection("ddbpn", dbpn.detect, "feat0.conv, up1.up_conv1.deconv (D-DBPN)", dbpn.convert_official),
        Detection("srfbn", srfbn.detect, "sub_mean, block.upBlocks.N (SRFBN)", srfbn.convert_official),
        Detection("msrn", msrn.detect, "sub_mean, body.N.conv_3_1, tail.3 (MSRN)", msrn.convert_official),
        Detection("srresnet", srresnet.detect, "trunk.N.rcb (SRResNet, Lornatang)", srresnet.convert_official),
        Detection("lapsrn", lapsrn.detect, "conv_input, convt_F1 (LapSRN, twtygqyy)", lapsrn.convert_official),
        Detection("vdsr", vdsr.detect, "input, residual_layer.N (VDSR, twtygqyy)", vdsr.convert_official),
        Detection("drrn_b1u25", drrn.detect, "input, conv1, conv2 (DRRN, jt827859032)", drrn.convert_jt827859032),
        Detection("drrn_b1u9", drrn.detect, "rbs.N.h0, rbs.N.ru, rec (DRRN, yjn870)", drrn.convert_yjn870),
    ]
)

__all__ = [
    "DETECTIONS",
    "DISCRIMINATORS",
    "MODELS",
    "Builder",
    "Detection",
    "ModelEntry",
    "build_discriminator",
    "build_model",
    "detect_arch",
    "list_models",
    "load_model",
    "load_state",
    "model_card",
    "read_state_dict",
    "register_model",
    "unwrap",
]
