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
    "tab.lesson": "Lição",
    "tab.reader_study": "Estudo de leitores",
    "teaching.start_here": (
        "**Comece aqui.** Novo em roteamento por especialistas? Faça primeiro a aba **Lição**: dez passos "
        "curtos, cada um perguntando o que o modelo fará antes de mostrar. Depois abra as seções abaixo para "
        "os detalhes, ou conduza um **Estudo de leitores** com a sua turma."
    ),
    "teaching.section.explained": "Como o roteamento funciona, e este caso explicado",
    "teaching.section.subgroups": "Resultados por subgrupo de pacientes (partição de teste separada)",
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
}
TEXTS |= _pad_ufes_20() | _derm7pt()
