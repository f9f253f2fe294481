"""Português do Brasil: every key of `en.py`, as Brazilian dermatology writes it (docs/glossary.md lists the clinical
terms and the form's choices). Keep the `{name}` fields and the Markdown marks of the English text.
"""

from __future__ import annotations

_SIM_NAO = {"False": "Não", "True": "Sim"}
_SIM_NAO_DESC = {**_SIM_NAO, "UNK": "Desconhecido"}
_ANCESTRY = {
    "BRAZIL": "Brasil", "POMERANIA": "Pomerânia", "GERMANY": "Alemanha", "ITALY": "Itália", "POLAND": "Polônia",
    "NETHERLANDS": "Países Baixos", "PORTUGAL": "Portugal", "SPAIN": "Espanha", "AUSTRIA": "Áustria",
    "CZECH": "Tchéquia", "FRANCE": "França", "ISRAEL": "Israel", "NORWAY": "Noruega", "UNK": "Desconhecido",
    "OTHER": "Outro",
}  # fmt: skip
_REGIONS = {
    "SCALP": "Couro cabeludo", "FACE": "Face", "EAR": "Orelha", "NOSE": "Nariz", "LIP": "Lábio", "NECK": "Pescoço",
    "CHEST": "Tórax", "ABDOMEN": "Abdome", "BACK": "Dorso", "ARM": "Braço", "FOREARM": "Antebraço", "HAND": "Mão",
    "THIGH": "Coxa", "FOOT": "Pé",
}  # fmt: skip
_FITZPATRICK = {
    "1": "I (sempre queima, nunca bronzeia)",
    "2": "II (geralmente queima, bronzeia pouco)",
    "3": "III (às vezes queima, bronzeia uniformemente)",
    "4": "IV (queima pouco, sempre bronzeia bem)",
    "5": "V (raramente queima, bronzeia muito)",
    "6": "VI (nunca queima)",
}
_BOOLEAN_FIELDS = {
    # name: (label, help, whether UNK is a choice)
    "smoke": ("Fumante", "O paciente fuma cigarros.", False),
    "drink": ("Consome álcool", "O paciente consome bebidas alcoólicas.", False),
    "pesticide": ("Exposição a agrotóxicos", "O paciente usa ou manipula agrotóxicos.", False),
    "skin_cancer_history": ("Câncer de pele prévio", "O paciente já teve câncer de pele.", False),
    "cancer_history": ("Histórico familiar de câncer", "Um familiar já teve câncer.", False),
    "has_piped_water": ("Água encanada", "A casa do paciente tem água encanada.", False),
    "has_sewage_system": ("Rede de esgoto", "A casa do paciente tem rede de esgoto.", False),
    "itch": ("Prurido", "A lesão coça.", True),
    "grew": ("Cresceu", "A lesão cresceu recentemente.", True),
    "hurt": ("Dor", "A lesão dói.", True),
    "changed": ("Mudou", "A lesão mudou de aspecto.", True),
    "bleed": ("Sangra", "A lesão sangrou.", True),
    "elevation": ("Elevada", "A lesão é elevada em relação à pele.", True),
}
_DERM7PT_LOCATIONS = {
    "head neck": "Cabeça e pescoço", "upper limbs": "Membros superiores", "lower limbs": "Membros inferiores",
    "chest": "Tórax", "abdomen": "Abdome", "back": "Dorso", "buttocks": "Nádegas",
    "genital areas": "Região genital", "acral": "Acral",
}  # fmt: skip


def _pad_ufes_20() -> dict[str, str]:
    """PAD-UFES-20's form and class words, keyed as `en.schema_key` makes them."""
    texts = {}
    for name, (label, info, unk) in _BOOLEAN_FIELDS.items():
        texts |= {f"field.{name}": label, f"info.{name}": info}
        texts |= {f"value.{name}.{value}": text for value, text in (_SIM_NAO_DESC if unk else _SIM_NAO).items()}
    for parent, whose in (("father", "do pai"), ("mother", "da mãe")):
        texts[f"field.background_{parent}"] = f"Ascendência {whose}"
        texts[f"info.background_{parent}"] = f"País de origem da família {whose} do paciente."
        texts |= {f"value.background_{parent}.{value}": text for value, text in _ANCESTRY.items()}
    texts |= {
        "field.age": "Idade",
        "info.age": "Idade do paciente em anos.",
        "field.gender": "Gênero",
        "info.gender": "Gênero do paciente.",
        "value.gender.FEMALE": "Feminino",
        "value.gender.MALE": "Masculino",
        "field.fitspatrick": "Fototipo de Fitzpatrick",
        "info.fitspatrick": "Fototipo da pele, de I (sempre queima) a VI (nunca queima).",
        "field.region": "Região do corpo",
        "info.region": "Região anatômica da lesão.",
        "field.diameter_1": "Diâmetro 1",
        "info.diameter_1": "Diâmetro horizontal da lesão em milímetros.",
        "field.diameter_2": "Diâmetro 2",
        "info.diameter_2": "Diâmetro vertical da lesão em milímetros.",
        "unit.years": "anos",
        "unit.mm": "mm",
        "class.ACK": "Ceratose actínica",
        "class.BCC": "Carcinoma basocelular",
        "class.MEL": "Melanoma",
        "class.NEV": "Nevo",
        "class.SCC": "Carcinoma espinocelular",
        "class.SEK": "Ceratose seborreica",
    }
    texts |= {f"value.fitspatrick.{value}": text for value, text in _FITZPATRICK.items()}
    texts |= {f"value.region.{value}": text for value, text in _REGIONS.items()}
    return {f"pad-ufes-20.{key}": text for key, text in texts.items()}


def _derm7pt() -> dict[str, str]:
    """Derm7pt's form and class words, keyed as `en.schema_key` makes them."""
    texts = {
        "field.sex": "Sexo",
        "info.sex": "Sexo do paciente.",
        "value.sex.female": "Feminino",
        "value.sex.male": "Masculino",
        "field.location": "Localização da lesão",
        "info.location": "Localização da lesão no corpo.",
        "field.elevation": "Elevação",
        "info.elevation": "Se a lesão é plana, palpável ou nodular.",
        "value.elevation.flat": "Plana",
        "value.elevation.palpable": "Palpável",
        "value.elevation.nodular": "Nodular",
        "class.BCC": "Carcinoma basocelular",
        "class.NEV": "Nevo",
        "class.MEL": "Melanoma",
        "class.MISC": "Outras (dermatofibroma, lentigo, melanose, vascular, outras)",
        "class.SK": "Ceratose seborreica",
    }
    texts |= {f"value.location.{value}": text for value, text in _DERM7PT_LOCATIONS.items()}
    return {f"derm7pt.{key}": text for key, text in texts.items()}


TEXTS = {
    "raw": "{text}",  # a proper name or code, the same in every language
    # the page
    "app.title": "MHDF-Net: demonstração do roteamento de lesões de pele",
    "app.heading": "# MHDF-Net: foto + dados clínicos, e o roteamento de especialistas por trás de cada resposta",
    "language.label": "Idioma",
    "tab.diagnose": "Diagnosticar",
    "tab.teaching": "Ensino",
    "tab.api": "API para programas",
    "similar.title": "## Casos roteados como este",
    "similar.intro": (
        "Os casos separados para teste que este modelo roteia de forma mais parecida com o atual: suas fotos, "
        "classes verdadeiras, as predições do modelo, os pesos do GM-Gate e as distâncias. Eles mostram como o modelo "
        "agrupa casos, não o que esta lesão é: como apoio ao diagnóstico, casos semelhantes ajudaram menos do que as "
        "probabilidades (Tschandl et al. 2020)."
    ),
    "similar.by": "Mais próximos por",
    "similar.by.routing": "assinatura de roteamento (pesos do LC-Gate por estágio e pesos do GM-Gate)",
    "similar.by.features": "características fundidas (o que o classificador da cabeça lê)",
    "similar.placeholder": "Diagnostique um caso para ver os casos de teste roteados como ele.",
    "similar.missing": (
        "Este checkpoint não tem índice de casos semelhantes (`similar_cases.safetensors`). Crie-o avaliando o "
        "checkpoint nos dados separados para teste, `python -m training.evaluate --checkpoint CHECKPOINT --data DATA "
        "--dataset pad-ufes-20 --out EVAL_DIR`, depois copie `EVAL_DIR/similar_cases.safetensors` para a pasta do "
        "checkpoint e reinicie o aplicativo."
    ),
    "similar.empty": "O índice não contém casos.",
    "similar.summary.routing": (
        "{count} de {total} casos roteados como este são {top}; o modelo acertou {right} deles."
    ),
    "similar.summary.features": (
        "{count} de {total} casos com características fundidas como as deste são {top}; o modelo acertou {right} deles."
    ),
    "similar.caption": "verdadeira {true} · predita {predicted} {mark} · distância {distance}",
    "tab.lesson": "Lição",
    "tab.reader_study": "Estudo de leitores",
    "teaching.start_here": (
        "**Comece aqui.** Novo em roteamento por especialistas? Faça primeiro a aba **Lição**: dez passos "
        "curtos, cada um perguntando o que o modelo fará antes de mostrar. Depois abra as seções abaixo para "
        "os detalhes, ou conduza um **Estudo de leitores** com a sua turma."
    ),
    "teaching.section.explained": "Como o roteamento funciona, e este caso explicado",
    "teaching.section.subgroups": "Resultados por subgrupo de pacientes (partição de teste separada)",
    "teaching.section.similar": "Casos roteados como este",
    "teaching.section.atlas": "Atlas de roteamento deste checkpoint",
    "teaching.section.interventions": "Intervenções no roteamento",
    "teaching.section.compare": "Comparar dois casos",
    # notices
    "notice": "Demonstração para pesquisa e ensino, {emphasis}: nunca a use para diagnosticar ou tratar ninguém.",
    "notice.not_a_device": "não é um dispositivo médico",
    "synthetic_warning": "Pesos treinados com dados sintéticos: estes números nada dizem sobre pacientes reais.",
    "synthetic.own_photo": "Este modelo foi treinado apenas com fotos sintéticas: a resposta dele nada diz sobre a sua "
    "foto.",
    "synthetic.own_photo.detail": "Ele nunca viu uma foto real. Os casos de exemplo acima mostram o que a demonstração "
    "faz; as visualizações de roteamento abaixo mostram como este modelo raciocina, não o que a sua foto mostra.",
    "banner": (
        "**Checkpoint:** `{name}` ({backbone}, variante {variant}, esquema {schema}) · **Treinado com:** "
        "{training_data}"
    ),
    "trained_on.synthetic_photos": (
        "fotos sintéticas pareadas com registros clínicos reais do {schema}, com o fold {fold} reservado para teste"
    ),
    "trained_on.real_photos": (
        "{photos} fotos reais de celular do {schema}, de {patients} pacientes de uma única clínica no Brasil, com "
        "seus registros clínicos; o fold {fold} reservado para teste"
    ),
    "trained_on.synthetic_pairs": (
        "{cases} casos sintéticos, cada um com uma foto clínica aproximada e uma imagem dermatoscópica, com "
        "registros no estilo do {schema} que não dependem da classe; {test_cases} reservados para teste"
    ),
    "trained_on.quoted": "“{text}” (descrição gravada no checkpoint, sem tradução)",
    "attribution": "Fotos e registros clínicos: {dataset} ({citation}), licença [{license}]({license_url}); "
    "alterado aqui: {changes}.",
    "real.own_photo": "Este modelo aprendeu com algumas centenas de fotos de uma única clínica no Brasil.",
    "real.own_photo.detail": "Outras câmeras, tipos de pele, clínicas e tipos de lesão nunca foram vistos, e melanoma "
    "e carcinoma espinocelular se apoiam em poucas fotos: leia a resposta abaixo como um exemplo de ensino, não como "
    "uma opinião sobre a sua lesão.",
    "result_note": "{synthetic}Classe mais provável **{predicted}** segundo `{name}` · {notice}",
    "result_note.synthetic": "⚠️ modelo de dados sintéticos · ",
    # the Diagnose tab
    "photo.label": "Foto da lesão",
    "button.clear": "Limpar",
    "button.diagnose": "Diagnosticar",
    "examples.label": "Casos de exemplo: clique em um para carregá-lo e diagnosticá-lo",
    "example.title": "{name} (classe verdadeira {label})",
    "form.group": "{title} (qualquer campo pode ficar sem registro)",
    "form.group.patient": "Paciente",
    "form.group.lesion": "Lesão",
    "form.not_recorded": "Não registrado",
    "form.number_info": "{description} Válido: {allowed}; deixe vazio se não registrado.",
    "form.number_label": "{label} ({unit})",
    "button.report": "Baixar relatório (PDF)",
    "report.label": "Relatório do caso (PDF)",
    "routing.heading": "## Roteamento",
    "tkca.heading": (
        "## TKCA por estágio\nCaixas: as posições da imagem que as consultas dos campos clínicos mantiveram (top-k, "
        "numeradas da mais forte) sobre o mapa de calor da atenção. Barras: os campos clínicos aos quais a imagem "
        "deu atenção."
    ),
    "modality.heading": "## O que os dados clínicos mudaram",
    "button.importance": "Calcular a importância dos campos",
    "importance.on_request": (
        "A importância dos campos é calculada sob demanda: pressione **Calcular a importância dos campos**."
    ),
    "importance.nothing": "Nenhum campo clínico está preenchido, então não há nada a remover.",
    "importance.progress": "{pending} {done} de {filled} campos prontos.",
    "importance.done": "Todos os {filled} campos preenchidos prontos.",
    "pending": "⏳ calculando…",
    "status.pending": "{pending} ainda calculando: {views}. As visualizações acima são finais.",
    "status.ready": "Todas as visualizações estão prontas. {on_request}",
    "status.view.gradcam": "Grad-CAM",
    "status.view.modality": "comparação de modalidades",
    # views
    "view.probabilities.full": "Probabilidades por classe{calibrated}{synthetic}",
    "view.probabilities": "Probabilidades por classe",
    "view.probabilities.calibrated": " (calibradas)",
    "view.probabilities.synthetic": " (modelo de dados sintéticos)",
    "view.lc_gate": "LC-Gate por estágio",
    "view.lc_gate.caption": "Peso do caminho da imagem vs o caminho fundido com os campos clínicos, por estágio.",
    "view.gm_gate": "GM-Gate (portão global)",
    "view.gm_gate.caption": "Peso de cada especialista na mistura final.",
    "view.contributions": "Contribuições especialista → classe",
    "view.tkca_image": "Estágio {stage}: posições top-k",
    "view.tkca_fields": "Estágio {stage}: campos atendidos",
    "view.gradcam": "Grad-CAM: último estágio, classe prevista",
    "view.modality": "Comparação de modalidades",
    "view.importance": "Importância dos campos",
    "view.importance.caption": (
        "Variação da probabilidade da classe prevista (pontos percentuais) quando o campo passa a desconhecido."
    ),
    "figure.class_probability": "probabilidade da classe",
    "figure.lc_fused": "peso do caminho fundido (LC-Gate)",
    "figure.gm_weight": "peso do especialista (GM-Gate)",
    "figure.with_metadata": "metadados como informados",
    "figure.without_metadata": "todos os metadados desconhecidos",
    "figure.modality_title": "O que os dados clínicos mudaram",
    "figure.unmodified": "sem alteração",
    "figure.intervened": "com intervenção",
    "figure.intervention_title": "Execução sem alteração vs intervenção",
    "figure.case_a": "caso A",
    "figure.case_b": "caso B",
    "axis.stage": "estágio",
    "axis.weight": "peso",
    "axis.route": "caminho",
    "axis.expert": "especialista",
    "axis.field": "campo",
    "axis.magnitude": "variação (pontos percentuais)",
    "axis.effect": "efeito",
    "stage": "Estágio {stage}",
    "expert": "Especialista {expert}",
    "path.image": "caminho da imagem",
    "path.fused": "caminho fundido",
    "alt.heading": "As figuras em palavras",
    "alt.lc_gate": "LC-Gate, parcela do caminho fundido com os campos clínicos: {stages}.",
    "alt.gm_gate": "GM-Gate: {expert} tem o maior peso, {weight}.",
    "alt.tkca": "TKCA {stage}: a imagem atende mais a {field}, {weight}.",
    "alt.gradcam": "Grad-CAM para {name}: mais forte na região {region} da foto.",
    "alt.modality": (
        "Dados clínicos: {name} tem {entered} com os campos informados e {unknown} com todos desconhecidos."
    ),
    "alt.region.top_left": "superior esquerda",
    "alt.region.top_centre": "superior central",
    "alt.region.top_right": "superior direita",
    "alt.region.middle_left": "central esquerda",
    "alt.region.middle_centre": "central",
    "alt.region.middle_right": "central direita",
    "alt.region.bottom_left": "inferior esquerda",
    "alt.region.bottom_centre": "inferior central",
    "alt.region.bottom_right": "inferior direita",
    "effect.supports": "favoreceu a predição",
    "effect.against": "pesou contra a predição",
    "contributions.caption": (
        "<strong>Contribuições especialista → classe.</strong> Cada coluna soma o logit da classe; a classe prevista "
        "({code}) está contornada."
    ),
    "contributions.gate": "portão {weight:.2f}",
    "contributions.bias": "viés",
    "contributions.logit": "= logit",
    "contributions.sums": "Cada coluna soma o logit da classe",
    # trust
    "ood.warning": ("Esta foto difere das imagens com que o modelo foi treinado; a saída dele não tem significado."),
    "ood.detail": (
        "A distância dela às imagens de treino é {score:.1f}, além do limiar de {threshold:.1f}. O que quer que as "
        "probabilidades abaixo digam, não as leia como resultado."
    ),
    "ood.none": "verificação de fora da distribuição: indisponível para este checkpoint",
    "ood.inside": "dentro da faixa das imagens de treino",
    "ood.outside": "DIFERENTE DAS IMAGENS DE TREINO",
    "ood.words": "escore de fora da distribuição {score:.2f} (limiar {threshold:.2f}): {verdict}",
    # a verificação de qualidade da foto (mhdf.inference.quality): o que há de errado e como fotografar de novo
    "quality.warning": (
        "Pouco confiável: esta foto é difícil de ler, então a resposta abaixo pode estar errada. Fotografe de novo."
    ),
    "quality.problems": "O que há de errado com a foto:",
    "quality.retake": "Como fotografar de novo:",
    "quality.passed": ("Qualidade da foto: passou nas verificações de foco, luz, compressão, tamanho e lesão à vista."),
    "quality.problem.too_small": ("É pequena demais: {value:.0f} px no lado menor, abaixo de {threshold:.0f} px."),
    "quality.problem.too_dark": "Está escura demais: brilho médio {value:.0f} de 255, abaixo de {threshold:.0f}.",
    "quality.problem.washed_out": (
        "Está lavada (clara demais): até os tons mais escuros estão em {value:.0f} de 255, acima de {threshold:.0f}."
    ),
    "quality.problem.blurred": "Está desfocada: nitidez {value:.2f}, abaixo de {threshold:.2f}.",
    "quality.problem.heavily_compressed": (
        "Está muito comprimida: os blocos do JPEG se destacam {value:.1f} vezes, acima de {threshold:.1f}."
    ),
    "quality.problem.no_lesion": (
        "Nenhuma lesão à vista: o ponto mais distinto difere da pele em {value:.1f} (ΔE), abaixo de {threshold:.1f}."
    ),
    "quality.retake.too_small": "Envie a foto original, não uma miniatura, um recorte ou uma captura de tela.",
    "quality.retake.too_dark": "Procure boa luz: luz do dia de uma janela ou um cômodo claro, sem a sua sombra.",
    "quality.retake.washed_out": "Evite sol direto e reflexo do flash; deixe a câmera ajustar a exposição na pele.",
    "quality.retake.blurred": (
        "Segure o celular firme com as duas mãos, toque na lesão para focar e espere um instante."
    ),
    "quality.retake.heavily_compressed": (
        "Envie o arquivo original da foto, não um repassado por aplicativo de mensagens."
    ),
    "quality.retake.no_lesion": "Enquadre a lesão, centralizada, ocupando a foto, a cerca de 10 a 20 cm.",
    "quality.words": "qualidade da foto: {verdict}",
    "quality.fine": "boa",
    "quality.unreliable": "POUCO CONFIÁVEL, fotografe de novo",
    "quality.none": "qualidade da foto: não verificada",
    "set.cannot_tell_apart": "Um conjunto com mais de uma classe significa que o modelo não consegue distingui-las.",
    "set.coverage": "O conjunto contém a classe verdadeira em {coverage} dos casos de validação.",
    "set.none": "sem conjunto de predição (o checkpoint não tem conformal.json)",
    "set.words": "conjunto de {coverage}: {members}",
    "set.or": "{first} ou {last}",
    # the Teaching tab
    "narrative.placeholder": "*Diagnostique um caso para vê-lo explicado aqui.*",
    "subgroups.none": "O cartão do modelo deste checkpoint não relata resultados por subgrupo.",
    "subgroups.fitzpatrick": "Fototipo de Fitzpatrick",
    "subgroups.gender": "Gênero",
    "subgroups.age_band": "Idade (anos)",
    "subgroups.header": "| {attribute} | casos | acurácia balanceada | acurácia |",
    "subgroups.too_small": "pequeno demais para avaliar",
    "atlas.label": "Atlas de roteamento",
    "atlas.missing": "Este checkpoint não tem `routing_atlas.json` (gerado por `training.evaluate`).",
    "interventions.heading": (
        "Sobrescreva os portões em uma execução do caso atual (foto e formulário da "
        "aba Diagnosticar) e compare com a execução sem alteração."
    ),
    "button.intervene": "Executar a intervenção",
    "run.unmodified": "Execução sem alteração",
    "run.intervened": "Com a intervenção",
    "intervention.plot": "Roteamento: sem alteração vs com intervenção",
    "case_a": "Caso A",
    "case_b": "Caso B",
    "button.compare": "Comparar os casos",
    "comparison.plot": "Roteamento do caso A vs caso B",
    "current_case": "Caso atual (foto e formulário da aba Diagnosticar)",
    "controls.knock_out": "Desligar especialistas",
    "controls.force": "Forçar todo o peso do GM-Gate para",
    "controls.none": "nenhum",
    "controls.temperature": "Temperatura do GM-Gate",
    "controls.temperature.info": "Abaixo de 1 concentra a mistura de especialistas, acima de 1 a espalha.",
    "controls.hard": "Roteamento GM rígido (top-1)",
    "controls.lc": "LC-Gate, estágio {stage}",
    "controls.model_choice": "escolha do modelo",
    "controls.path.image": "imagem",
    "controls.path.fused": "fundido",
    "report.scores": "São escores de um modelo, não um diagnóstico.",
    "report.title": "Relatório de caso do MHDF-Net",
    "report.title_stamp": "Relatório de caso do MHDF-Net - {stamp}",
    "report.checkpoint": "Checkpoint: {name} ({backbone}, variante {variant}, esquema {schema})",
    "report.trained_on": "Treinado com: {training_data}",
    "report.metrics": "Métricas de teste (cartão do modelo): {metrics}",
    "report.nothing_recorded": "(nenhum campo clínico registrado)",
    "report.photo": "A foto como o modelo a viu",
    "report.calibrated": "Probabilidades por classe (calibradas)",
    "report.uncalibrated": "Probabilidades por classe (não calibradas)",
    "report.top_class": "Classe mais provável: {top} ({probability})",
    "report.warning": "ATENÇÃO: {warning}",
    "report.record": "Registro clínico como informado:",
    "report.routing": "Roteamento deste caso",
    "report.lc_gate": "LC-Gate: peso do caminho fundido por estágio",
    "report.gm_gate": "GM-Gate: peso por especialista",
    "report.tkca": "{stage}: posições top-{top_k} do TKCA",
    "report.photo_view": "{view}, como o modelo a viu",
    "report.photo_missing": "{view}: não enviada",
    "report.photos_missing": "Fotos não enviadas: {views}. O modelo leu, no lugar de cada uma, o substituto aprendido.",
    "report.lc_gate_views": "LC-Gate: peso do caminho fundido por foto e estágio",
    "report.gm_gate_views": "GM-Gate: participação de cada foto no roteamento",
    "report.tkca_view": "{view}, {stage}: top-{top_k} do TKCA",
    "report.tkca_missing": "{view}: sem foto, portanto sem atenção do TKCA",
    "photo_view.clinical": "Foto clínica aproximada",
    "photo_view.dermoscopic": "Imagem dermatoscópica",
    # errors shown to the visitor
    "error.title": "Não é possível diagnosticar este caso",
    # summaries of the Teaching tab
    "intervention.summary": (
        "**Intervenção:** {overrides}. Classe mais provável {before} → **{after}**; as probabilidades das classes "
        "mudaram {moved} (variação total)."
    ),
    "comparison.summary": ("Caso A: **{a}**, caso B: **{b}**. Os pesos do GM-Gate diferem em {gm} (variação total)"),
    "comparison.lc": "; os pesos do caminho fundido do LC-Gate diferem em {stages} nos estágios 1 a {last}.",
    "overrides.forced": "todo o peso do GM-Gate forçado para o especialista {expert}",
    "overrides.knocked_out": "especialista {experts} desligado",
    "overrides.knocked_out_many": "especialistas {experts} desligados",
    "overrides.temperature": "temperatura do GM-Gate {temperature}",
    "overrides.hard": "roteamento GM rígido (top-1)",
    "overrides.soft": "roteamento GM suave",
    "overrides.lc": "LC-Gate do estágio {stage} forçado para o {path}",
    "overrides.none": "nenhuma intervenção",
    # the narrative
    "narrative.prediction": (
        "**Predição.** {top} com {top_p}; em segundo lugar {runner_up} com {runner_up_p}. São escores de um modelo, "
        "não um diagnóstico."
    ),
    "narrative.lc_gate": (
        "**LC-Gate por estágio.** Depois de cada um dos {stages} estágios fundidos do backbone, um pequeno portão "
        "mistura as características de imagem do estágio com um resumo fundido com os campos clínicos, e a mistura "
        "segue para os especialistas. O caminho fundido recebeu {weights} do peso nos estágios 1 a {stages}: os "
        "dados clínicos direcionaram mais o estágio {most}."
    ),
    "narrative.and": " e ",
    "narrative.tkca": (
        "**TKCA por estágio.** Os campos clínicos atuam como consultas sobre as posições da foto e mantêm só as "
        "{top_k} mais fortes por consulta (as caixas nas fotos); no sentido inverso, as posições da imagem leem os "
        "campos (as barras). No último estágio a imagem deu mais atenção a {fields}."
    ),
    "narrative.gm_gate": (
        "**GM-Gate.** A cabeça tem {experts} especialistas, cada um lendo todos os estágios; o portão deu ao "
        "especialista {expert} {weight} do peso."
    ),
    "narrative.contributions": (
        "**Contribuições especialista → classe.** Os logits são exatamente a soma da contribuição ponderada de cada "
        "especialista mais um viés; o especialista {expert} foi o que mais somou a {code} ({value})."
    ),
    "narrative.modality": (
        "**Comparação de modalidades.** Com todos os campos clínicos desconhecidos o modelo dá a {code} {without} "
        "(classe mais provável {without_top}); os dados informados a levaram a {with_} e mudaram os pesos do "
        "GM-Gate em {moved} (variação total)."
    ),
    "narrative.importance.on_request": (
        "**Importância dos campos.** Calculada sob demanda: pressione *Calcular a importância dos campos* abaixo do "
        "formulário."
    ),
    "narrative.importance.supported": (
        "**Importância dos campos.** {field} = {value} foi o que mais favoreceu {code}: como desconhecido, a "
        "probabilidade de {code} passa a {probability} ({points} pontos percentuais)."
    ),
    "narrative.importance.argued": (
        "**Importância dos campos.** {field} = {value} foi o que mais pesou contra {code}: como desconhecido, a "
        "probabilidade de {code} passa a {probability} ({points} pontos percentuais)."
    ),
    "narrative.importance.nothing": "**Importância dos campos.** {nothing}",
    "narrative.gradcam": (
        "**Grad-CAM.** As áreas claras são onde as características do último estágio elevaram o logit de {code} "
        "(gradiente desse logit vezes o mapa de características, somado sobre os canais)."
    ),
    # visitor feedback ("This result looks wrong"), where the host turned it on
    "feedback.open": "Este resultado parece errado",
    "feedback.explained": (
        "Diga ao responsável por esta demonstração o que você acredita que esta lesão seja. **Enviar** guarda, para "
        "o responsável: o horário, o modelo, a predição e as probabilidades dele para a foto e o formulário como "
        "estão agora, os valores do formulário, a sua classe e o seu comentário. A foto só é guardada se você marcar "
        "**Incluir a foto**. Não escreva no comentário nomes nem outros dados que identifiquem um paciente."
    ),
    "feedback.believed": "O que eu acredito que seja",
    "feedback.comment": "Comentário (opcional)",
    "feedback.consent": "Incluir a foto",
    "feedback.send": "Enviar",
    "feedback.off": "o envio de comentários não está ativado nesta demonstração",
    "feedback.no_photo": "sem foto: envie a foto da lesão a que o resultado se refere e depois envie o relato",
    "feedback.no_class": "escolha o que você acredita que seja antes de enviar",
    "feedback.bad_comment": "o comentário deve ser texto",
    "feedback.bad_consent": "'incluir a foto' deve ser verdadeiro ou falso",
    "feedback.bad_class": "{value} não é uma das classes {classes}",
    "feedback.comment_too_long": "o comentário é longo demais: no máximo {limit} caracteres",
    "feedback.sent.photo": "Obrigado: o seu relato foi enviado com a foto.",
    "feedback.sent.no_photo": "Obrigado: o seu relato foi enviado, sem a foto.",
    # the number fields' help: the allowed range
    "form.range": "um número de {low} a {high}",
    "form.range.unit": "um número de {low} a {high} {unit}",
    "form.one_of": "um destes: {values}",
    "form.invalid": "{field}: {value} não é válido; esperado {allowed} (ou deixe o campo vazio)",
    "class.named": "{label} ({code})",
    # the Lesson tab
    "lesson.default_title": "Como o MHDF-Net roteia um caso",
    "lesson.none": (
        "Este checkpoint não traz nenhuma lição: adicione um arquivo YAML à pasta `lessons/` dele (veja "
        "docs/lesson.md)."
    ),
    "lesson.pick_first": "Escolha uma resposta primeiro: a resposta do modelo só aparece depois da sua.",
    "lesson.other_checkpoint": "Esta lição roda em `{name}`, o checkpoint para o qual foi escrita, treinado com fotos "
    "sintéticas: os casos dela mostram o roteamento com clareza. A aba Diagnóstico responde com `{served}`.",
    "lesson.intro": (
        "Cada passo mostra um caso e pergunta o que o modelo fará. **Comprometa-se com uma resposta primeiro**: o "
        "roteamento do próprio modelo só é revelado depois que você responde."
    ),
    "lesson.right": "✅ **Acertou.**",
    "lesson.wrong": "❌ **Não desta vez.**",
    "lesson.answer": "Responder",
    "lesson.next": "Próximo passo",
    "lesson.finish": "Ver o meu resumo",
    "lesson.restart": "Recomeçar",
    "lesson.choose": "Lição",
    "lesson.photo": "Foto da lição",
    "lesson.your_answer": "Sua resposta",
    "lesson.knockout": "Especialista desligado",
    "choice.clinical": "os dados clínicos",
    "choice.photo": "a foto",
    "choice.stays": "a classe se mantém",
    "choice.changes": "a classe muda",
    "choice.yes": "sim",
    "choice.no": "não",
    "lesson.view.class": "as probabilidades por classe (aba Diagnosticar)",
    "lesson.view.leading_expert": "o gráfico do GM-Gate (aba Diagnosticar, Roteamento)",
    "lesson.view.clinical_steering": "o gráfico do LC-Gate (aba Diagnosticar, Roteamento)",
    "lesson.view.knockout": "Intervenções no roteamento (aba Ensino)",
    "lesson.view.ood": "o aviso de fora da distribuição (aba Diagnosticar)",
    "lesson.topic.class": "classe prevista",
    "lesson.topic.leading_expert": "especialista principal",
    "lesson.topic.clinical_steering": "direcionamento clínico (LC-Gate)",
    "lesson.topic.knockout": "especialista desligado",
    "lesson.topic.ood": "diferente das fotos de treino",
    "lesson.question.class": "**Qual classe o modelo vai prever para este caso?**",
    "lesson.question.leading_expert": "**A qual especialista o GM-Gate vai dar mais peso?**",
    "lesson.question.clinical_steering": (
        "**No estágio {stage}, o que direciona mais as características: os dados clínicos ou a foto?** (O LC-Gate "
        "mistura um caminho só de imagem com um caminho fundido com os campos clínicos.)"
    ),
    "lesson.question.knockout": "**Se o especialista {expert} for desligado, a classe prevista se mantém ou muda?**",
    "lesson.question.ood": "**Esta foto difere das fotos com que o modelo foi treinado?**",
    "lesson.progress": "**Passo {step} de {steps}** · Acertos: {right} de {answered}",
    "lesson.case": "### Caso `{name}`",
    "lesson.case.label": "### Caso `{name}` (classe verdadeira {label})",
    "lesson.record.none": "*Nenhum campo clínico está registrado para este caso.*",
    "lesson.record.header": "| Campo clínico | Valor |",
    "lesson.explain.class": (
        "O modelo dá {top_p} a {top}; a segunda colocada, {second}, recebe {second_p}. O escore de um modelo não é "
        "um diagnóstico."
    ),
    "lesson.explain.leading_expert": (
        "O GM-Gate deu ao especialista {expert} {weight} do peso (os pesos dos especialistas somam 100%). O voto "
        "dele é o que mais conta na mistura final."
    ),
    "lesson.explain.clinical_steering": (
        "No estágio {stage} o LC-Gate pôs {fused} do seu peso no caminho fundido e {image} no caminho da imagem: "
        "{who} as características deste estágio."
    ),
    "lesson.explain.clinical": "os dados clínicos direcionaram",
    "lesson.explain.photo": "só a foto conduziu",
    "lesson.explain.knockout": (
        "O especialista {expert} tinha {weight} do peso do GM-Gate. Sem ele, os outros especialistas dividem o seu "
        "peso; a classe mais provável era {top} e {outcome} (probabilidade de {top} {before} → {after})."
    ),
    "lesson.explain.changes": "passa a ser **{other}**",
    "lesson.explain.stays": "se mantém",
    "lesson.explain.ood.outside": (
        "A distância da foto às imagens de treino é {score:.1f}, além do limiar de {threshold:.1f}."
    ),
    "lesson.explain.ood.inside": (
        "A distância da foto às imagens de treino é {score:.1f}, dentro do limiar de {threshold:.1f}."
    ),
    "lesson.explain.ood.seen": "O modelo já viu fotos como esta.",
    "lesson.feedback": "{verdict} Você respondeu *{chosen}*; a resposta do modelo: **{answer}**.\n\n{explanation}",
    "lesson.summary.title": "## Lição concluída: {right} de {asked} acertos",
    "lesson.summary.header": "| Pergunta | Acertos |",
    "lesson.summary.count": "{right} de {asked}",
    "lesson.summary.perfect": (
        "Todas as respostas coincidiram com o roteamento do modelo. Experimente agora o estudo de leitores."
    ),
    "lesson.summary.revisit": "**Vale a pena rever:**",
    "lesson.summary.revisit_item": "- {topic}: reveja {view}",
    # the Reader study tab
    "reader.intro": (
        "Um estudo de leitores no estilo de Tschandl et al. (Nature Medicine 2020): em cada caso **você responde "
        "primeiro** (classe e confiança), depois aparece a resposta do modelo e você pode revisar a sua. O "
        "instrutor pode ativar uma condição de *IA com falhas*; quais casos tiveram falha só é revelado no final."
    ),
    "reader.source.bundled": "Exemplos do checkpoint e casos das lições",
    "reader.source.csv": "CSV e fotos enviados",
    "reader.need_class": "Escolha primeiro uma classe e uma confiança.",
    "reader.not_started": "Inicie um estudo primeiro.",
    "reader.done": "O estudo está concluído: veja os resultados abaixo.",
    "reader.confidence_info": "1 = um palpite, 5 = certeza",
    "reader.progress": "**Caso {case} de {cases}** · {what}",
    "reader.phase.first": "primeiro a sua resposta",
    "reader.phase.revise": "a resposta do modelo está à vista: mantenha ou revise a sua",
    "reader.ai_note": "A resposta do modelo.",
    "reader.ai_note.faulty": (
        "A resposta do modelo (nesta sessão algumas respostas podem estar erradas de propósito: julgue por conta "
        "própria)."
    ),
    "reader.started": "Estudo iniciado: {cases} casos, o modelo mostrado fielmente.",
    "reader.started.faulty": "Estudo iniciado: {cases} casos, condição de IA com falhas ativada (proporção {share}).",
    "reader.results.title": "## Resultados",
    "reader.results.header": (
        "| Casos | n | você sozinho: acur. / acur. bal. | você com a IA: acur. / acur. bal. | "
        "IA como mostrada: acur. / acur. bal. | IA mudou certo → errado | IA mudou errado → certo |"
    ),
    "reader.results.faulty": ("**Casos com falha** (a resposta da IA veio de uma intervenção no roteamento): {cases}."),
    "reader.results.none_faulty": "**Nenhum caso foi mostrado com falha:** toda resposta que você viu era do próprio "
    "modelo.",
    "reader.results.unfaulted": (
        "Sorteados para a condição com falha mas mostrados fielmente, porque nenhum especialista desligado ou "
        "forçado muda a classe mais provável deles: {cases}."
    ),
    "reader.group.all": "todos os casos",
    "reader.group.faulty": "IA com falhas",
    "reader.group.faithful": "IA fiel",
    "reader.one_csv": "envie exatamente um arquivo CSV junto com as fotos dele",
    "reader.no_cases": "nenhum caso rotulado para estudar: escolha o CSV e as fotos enviados",
    "reader.csv.no_rows": "o CSV não tem linhas",
    "reader.csv.missing": "falta(m) no CSV a(s) coluna(s) {columns}",
    "reader.csv.too_many": "o CSV tem {rows} linhas; um estudo aceita no máximo {limit}",
    "reader.csv.no_photo": "linha {line} do CSV: a foto {name} não foi enviada com o CSV",
    "reader.csv.bad_label": "linha {line} do CSV: o rótulo {label} não é um de {classes}",
    "reader.csv.bad_record": "linha {line} do CSV: {error}",
    "reader.instructor": "Configurações do instrutor",
    "reader.cases": "Casos",
    "reader.csv_files": "CSV (imagem, campos clínicos, rótulo) e as fotos dele",
    "reader.faulty": "Condição de IA com falhas",
    "reader.share": "Proporção de casos com falha",
    "reader.start": "Iniciar o estudo",
    "reader.case_photo": "Foto do caso",
    "reader.first_class": "Seu diagnóstico",
    "reader.first_confidence": "Sua confiança",
    "reader.submit": "Enviar a minha resposta",
    "reader.ai_probabilities": "As probabilidades do modelo",
    "reader.ai_routing": "GM-Gate (roteamento)",
    "reader.final_class": "Seu diagnóstico final",
    "reader.final_confidence": "Sua confiança final",
    "reader.confirm": "Confirmar e seguir",
    "reader.csv": "Resultados (CSV)",
    "reader.json": "Resultados (JSON)",
    # the routing atlas (Teaching tab): its figure and summary
    "atlas.all": "todas",
    "atlas.gm_title": "GM-Gate: peso médio por classe verdadeira",
    "atlas.lc_title": "LC-Gate: peso do caminho fundido",
    "atlas.mean_weight": "peso médio",
    "atlas.top1_share": "parcela como top-1",
    "atlas.utilisation": "Uso dos especialistas",
    "atlas.title": "Atlas de roteamento sobre {count} casos de avaliação",
    "atlas.split": "partição {split}",
    "atlas.fold": "fold {fold}",
    "atlas.computed": "Calculado sobre **{count}** casos de avaliação.",
    "atlas.computed_where": "Calculado sobre **{count}** casos de avaliação ({where}).",
    "atlas.gm_entropy": (
        "Entropia do GM-Gate {mean:.2f} ± {std:.2f} nats de no máximo {max:.2f}: perto do máximo os especialistas "
        "são misturados por igual, perto de 0 um especialista decide."
    ),
    "atlas.lc_entropy": "Entropia do LC-Gate por estágio: {per_stage} nats (no máximo {max:.2f}).",
    "atlas.top_expert": "O especialista {expert} é o principal em {share} dos casos.",
    "atlas.leads": "{expert} lidera {classes}",
    "atlas.leads_none": "{expert} não lidera nenhuma classe",
    "atlas.specialisation": (
        "**Especialização dos especialistas** (peso médio do GM-Gate do especialista principal, por classe "
        "verdadeira): {parts}."
    ),
    "atlas.steering": (
        "**Os dados clínicos direcionam mais no {stage}**: o LC-Gate dele dá ao caminho fundido {weight:.2f} do "
        "peso em média, de {low:.2f} para {low_class} a {high:.2f} para {high_class}. Dispersão do peso do caminho "
        "fundido entre as classes, por estágio: {spreads}."
    ),
    # classes (mhdf.app.classroom, mhdf.app.class_tab): refusals, one line each
    "class.error.title": "Recusado",
    "class.what.name": "nome da turma",
    "class.what.nickname": "apelido",
    "class.empty": "o campo {what} está vazio",
    "class.too_long": "o campo {what} é longo demais: no máximo {limit} caracteres",
    "class.control": (
        "o campo {what} contém um caractere de controle ou invisível: use letras, dígitos, espaços e pontuação"
    ),
    "class.bad_code": "um código de acesso tem {length} letras e dígitos, como o professor o passou",
    "class.no_class": "nenhuma turma tem o código de acesso {code}: confira-o com o professor",
    "class.nickname_taken": "este apelido já está em uso nesta turma: escolha outro",
    "class.no_participant": "não é participante desta turma: entre primeiro com o código e um apelido",
    "class.bad_activity": "a atividade deve ser uma de {activities}",
    "class.bad_item": "{activity} não tem esse item; seus itens: {items}",
    "class.bad_phase": "a fase de uma resposta de {activity} deve ser uma de {phases}",
    "class.bad_answer": "não é uma resposta ao item {item}; suas respostas: {answers}",
    "class.never_faulty": "o caso {item} nunca é mostrado com IA falha: envie a resposta após a IA como with_ai",
    "class.duplicate": "o item {item} já foi respondido nesta fase: a turma guarda a primeira resposta",
    "class.first_missing": "o caso {item} ainda não tem resposta sozinho: envie-a antes da resposta após a IA",
    "class.wrong_key": "nenhuma turma com este código de acesso e esta chave do professor",
    # the Class tab
    "tab.class": "Turma",
    "class.intro": (
        "Um professor cria uma turma e compartilha o código de acesso; cada aluno entra com o código e um apelido. "
        "A partir daí, as respostas do aluno na **Lição** e no **Estudo de leitores** (os casos do próprio checkpoint, "
        "não os enviados) são registradas para a turma, e o professor, com a chave do professor, vê aqui os "
        "resultados da turma, atualizados à medida que as respostas chegam. O apelido é o único dado pessoal guardado."
    ),
    "class.student": "Entrar em uma turma (alunos)",
    "class.code": "Código de acesso",
    "class.nickname": "Apelido (no máximo 40 caracteres, nenhum outro dado pessoal)",
    "class.join": "Entrar",
    "class.leave": "Sair da turma",
    "class.not_joined": "Você não está em nenhuma turma: suas respostas ficam no seu navegador.",
    "class.joined": (
        "Você está em **{name}** (`{code}`) como **{nickname}**; respostas registradas: {answers}. Suas respostas na "
        "Lição e no Estudo de leitores são registradas para a turma à medida que você avança."
    ),
    "class.teacher": "Dar uma aula (professores)",
    "class.name": "Nome da turma",
    "class.create": "Criar uma turma",
    "class.created": (
        "Turma **{name}** criada.\n\n- Código de acesso: **`{code}`**\n- Chave do professor: `{teacher_key}`\n\n"
        "**Copie a chave do professor agora**: ela é mostrada só esta vez, e sem ela ninguém vê os resultados. Passe "
        "aos alunos o código ou o link de acesso abaixo, nunca a chave."
    ),
    "class.link": "Link de acesso",
    "class.key": "Chave do professor",
    "class.show": "Mostrar os resultados",
    "class.export": "Exportar as respostas (CSV)",
    "class.export_file": "As respostas da turma (CSV)",
    "class.summary": "**{name}** (`{code}`): {participants} alunos, {answers} respostas. Atualizado às {time} UTC.",
    "class.plot.lesson": "Lição: proporção de acertos por passo",
    "class.plot.reader": "Estudo de leitores: proporção de acertos",
    "class.plot.switching": "Estudo de leitores: mudou para a resposta da IA",
    "class.plot.lesson_answers": "Lição: respostas por passo",
    "class.plot.reader_answers": "Estudo de leitores: respostas sozinho por caso",
    "class.axis.step": "passo",
    "class.axis.share": "proporção de acertos",
    "class.axis.condition": "condição",
    "class.axis.ai": "a IA estava",
    "class.axis.switched": "proporção que mudou",
    "class.axis.count": "respostas",
    "class.axis.answer": "resposta",
    "class.axis.case": "caso",
    "class.step": "Passo {step} · {topic}",
    "class.condition.first": "sozinho",
    "class.condition.with_ai": "com a IA",
    "class.condition.with_faulty_ai": "com a IA falha",
    "class.ai_right": "certa",
    "class.ai_wrong": "errada",
    "class.table.lesson": "| Passo | Pergunta | Acertos | Respostas (contagem) |",
    "class.table.reader": "| Condição | Acertos |",
    "class.table.switching": (
        "| A IA estava | Primeira resposta diferente da IA | Mudou para a resposta da IA | Proporção |"
    ),
    "class.table.cases": "| Caso | Classe verdadeira | Sozinho | Com a IA | Com a IA falha |",
    "class.switching.explained": (
        "Das respostas após a da IA em que a primeira resposta do aluno diferia da IA: com que frequência o aluno "
        "mudou para a resposta da IA. Mudar para uma IA errada é viés de automação."
    ),
    "class.right_of": "{right} de {n}",
    # várias fotos por caso
    "photo.short.clinical": "Clín.",
    "photo.short.dermoscopic": "Derm.",
    "photo.none": "Nenhuma foto: envie pelo menos uma destas: {photos}.",
    "photo.missing": (
        "**Sem {photo}.** O modelo respondeu com a {present} e o formulário clínico; seus vetores aprendidos de "
        '"foto ausente" ocuparam o lugar da {photo}.'
    ),
    "photo.view_missing": "Sem {photo}: não há nada a mostrar dela aqui.",
    "photo.and": " e ",
    "routing.photo": "### {photo}",
    "view.of_photo": "{view} — {photo}",
    "view.gm_gate_by_view": "Influência de cada foto no GM-Gate",
    "view.gm_gate_by_view.caption": (
        "Quanto cada foto orientou o GM-Gate neste caso; as parcelas somam 100 %. Uma foto não enviada orienta por "
        'meio de seus vetores aprendidos de "foto ausente".'
    ),
    "axis.photo": "foto",
    "axis.share": "parcela",
    "gm_by_view.header": "| Foto | Parcela da orientação do GM-Gate |",
    "gm_by_view.not_given": "{photo} (não enviada)",
    "figure.gm_share": "parcela GM",
    "figure.view_stage": "{photo}\nE{stage}",
    "figure.as_given": "todas as fotos",
    "figure.dropped": "sem a {photo}",
    "teaching.section.drop_photo": "Retirar esta foto",
    "drop.heading": (
        "Execute o caso atual (as fotos e o formulário da aba Diagnóstico) como enviado e com uma foto marcada como "
        "ausente, e compare as probabilidades das classes e o roteamento: o LC-Gate de cada foto e estágio, o "
        "GM-Gate por especialista e quanto cada foto o orientou."
    ),
    "drop.choose": "Foto a retirar",
    "button.drop": "Executar sem esta foto",
    "run.as_given": "Com todas as fotos enviadas",
    "run.dropped": "Sem a foto escolhida",
    "drop.plot": "Roteamento: todas as fotos vs sem a foto escolhida",
    "drop.title": "Todas as fotos vs sem a {photo}",
    "drop.summary": (
        "**Sem a {photo}:** classe principal {before} → **{after}**; as probabilidades das classes mudaram {moved} "
        "(variação total). Orientação do GM-Gate por foto, como enviado → sem: {shares}."
    ),
    "drop.not_given": "Não há {photo} para retirar: envie uma na aba Diagnóstico primeiro.",
    "drop.last_photo": "A {photo} é a única foto do caso, e retirá-la não deixa nenhuma: envie outra foto também.",
    "multi_view.one_photo_only": (
        "Esta parte do app lê uma foto por caso, e o checkpoint servido aqui lê {photos}. A aba Diagnóstico e a "
        'seção "Retirar esta foto" da aba Ensino mostram o que ele faz com cada foto.'
    ),
    "alt.lc_gate_photo": "LC-Gate da {photo}, parcela do caminho fundido com os campos clínicos: {stages}.",
    "alt.photo_missing": "Sem {photo}: ela não tem LC-Gate, TKCA nem Grad-CAM.",
    "alt.gm_gate_by_view": "Orientação do GM-Gate por foto: {shares}.",
    "alt.gradcam_photo": "Grad-CAM da {photo} para {name}: mais forte na região {region} dessa foto.",
    "narrative.lc_gate_views": (
        "**LC-Gate por estágio.** Após cada um dos {stages} estágios fundidos do backbone de cada foto, um pequeno "
        "gate mistura as características de imagem do estágio com um resumo fundido com os campos clínicos, e a "
        "mistura segue para os especialistas. Peso do caminho fundido nos estágios 1 a {stages}: {per_photo}."
    ),
    "narrative.not_given": "não enviada",
    "narrative.gm_gate_by_view": "**Fotos.** O GM-Gate foi orientado {shares}.",
    "narrative.share_of": "{share} pela {photo}",
}
TEXTS |= _pad_ufes_20() | _derm7pt()
