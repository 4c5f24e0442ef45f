{#-
    The agencies’ art. 7 correction notice to VDAB (pijler3.meldingen sends it): newcomers the agencies referred to
    VDAB (KBI datum_toeleiding_vdab on or before the reference date) whom VDAB’s enrichment marks as not known. VDAB
    may hold them under a wrong or missing INSZ. Not being registered at VDAB is the outcome the monitor measures, not
    an error, so only referred newcomers are notified. Grain: one row per INSZ. A table in the restricted database,
    like the other exchange files.
-#}
select
    cast(verrijking.insz as varchar) as insz,
    cast('insz_onbekend_bij_vdab' as varchar) as reden,
    cast('gekend_bij_vdab' as varchar) as detail
from {{ ref('stg_uitwisseling__verrijking') }} as verrijking
inner join {{ ref('int_kbi_personen_op_peildatum') }} as personen on verrijking.insz = personen.insz
where not verrijking.gekend_bij_vdab and personen.datum_toeleiding_vdab is not null
